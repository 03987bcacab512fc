"""Word lists for realistic proposals and comments in Catalan and Spanish."""

from __future__ import annotations

import random

FIRST_NAMES = (
    "Laia", "Marc", "Núria", "Jordi", "Montse", "Pau", "Marta", "Àlex", "Carme", "Joan", "Mireia", "Oriol",
    "Anna", "Pere", "Júlia", "Sergi", "Lucía", "Javier", "Carmen", "Antonio", "María", "José", "Pilar",
    "Manuel", "Rosa", "Francisco", "Isabel", "David", "Elena", "Pablo", "Fatima", "Mohamed", "Aitana", "Iker",
)
SURNAMES = (
    "Puig", "Soler", "Vila", "Riera", "Ferrer", "Serra", "Roca", "Font", "Pujol", "Costa", "Camps", "Vidal",
    "Garcia", "Martínez", "López", "Sánchez", "Pérez", "Gómez", "Ruiz", "Fernández", "Moreno", "Navarro",
    "Torres", "Domínguez", "Castells", "Bosch", "Mas", "Prat", "Sala", "Ribas",
)

CA = {
    "verbs": ("Més", "Millorar", "Arreglar", "Ampliar", "Crear", "Posar", "Renovar", "Pacificar", "Cobrir",
              "Netejar", "Il·luminar", "Recuperar", "Obrir", "Protegir", "Condicionar"),
    "things": ("arbres i ombra", "bancs per seure", "fonts d'aigua potable", "un carril bici segregat",
               "l'enllumenat públic", "les voreres", "un parc infantil", "horts urbans", "contenidors de reciclatge",
               "una zona verda", "la pista esportiva", "la biblioteca", "un aparcament de bicicletes",
               "un pas de vianants", "lavabos públics", "un espai per a gossos", "el mercat municipal",
               "la piscina", "les parades d'autobús", "el casal de joves", "plaques solars", "la riera"),
    "places": ("a la plaça Major", "al carrer Nou", "al barri de Sant Pere", "davant de l'escola",
               "al parc de la Riera", "a la rambla", "al polígon", "al nucli antic", "a l'avinguda del Mar",
               "prop del CAP", "al barri de l'Estació", "a la plaça de l'Església", "al camí de ronda",
               "a la zona esportiva", "al carrer de la Font"),
    "sentences": (
        "A l'estiu fa molta calor i no hi ha cap lloc on refugiar-se.",
        "Molts veïns ho demanen des de fa anys.",
        "La gent gran hi passa cada dia i necessita poder seure.",
        "Els infants de l'escola hi juguen a la sortida.",
        "Amb poca inversió es podria millorar molt la vida del barri.",
        "Ara mateix està en mal estat i és perillós.",
        "Proposem fer-ho amb materials sostenibles i plantes autòctones.",
        "Seria un bon lloc de trobada per a les famílies.",
        "De nit hi ha poca llum i costa passar-hi tranquil.",
        "Cal pensar també en les persones amb mobilitat reduïda.",
        "Les entitats del barri s'ofereixen a col·laborar-hi.",
        "Reduiria el trànsit i el soroll dels cotxes.",
        "Ajudaria el comerç de proximitat.",
        "Els joves no tenen cap espai propi on anar.",
    ),
    "comments": (
        "Hi estic d'acord, fa falta.", "Jo hi passo cada dia i és veritat.", "Quant costaria?",
        "Millor fer-ho a l'altra banda del carrer.", "No crec que sigui prioritari.",
        "Molt bona idea, l'he recolzada.", "Caldria preguntar als veïns del costat.",
        "A l'hivern també seria útil.", "Ja es va proposar l'any passat i no es va fer.",
    ),
}

ES = {
    "verbs": ("Más", "Mejorar", "Arreglar", "Ampliar", "Crear", "Poner", "Renovar", "Pacificar", "Cubrir",
              "Limpiar", "Iluminar", "Recuperar", "Abrir", "Proteger", "Acondicionar"),
    "things": ("árboles y sombra", "bancos para sentarse", "fuentes de agua potable", "un carril bici segregado",
               "el alumbrado público", "las aceras", "un parque infantil", "huertos urbanos",
               "contenedores de reciclaje", "una zona verde", "la pista deportiva", "la biblioteca",
               "un aparcamiento de bicicletas", "un paso de peatones", "aseos públicos", "un espacio para perros",
               "el mercado municipal", "la piscina", "las paradas de autobús", "el centro joven"),
    "places": ("en la plaza Mayor", "en la calle Nueva", "en el barrio de San Pedro", "delante del colegio",
               "en el parque de la Riera", "en la rambla", "en el polígono", "en el casco antiguo",
               "en la avenida del Mar", "cerca del centro de salud", "en el barrio de la Estación"),
    "sentences": (
        "En verano hace mucho calor y no hay dónde resguardarse.",
        "Muchos vecinos lo piden desde hace años.",
        "Las personas mayores pasan cada día y necesitan sentarse.",
        "Los niños del colegio juegan allí a la salida.",
        "Con poca inversión se mejoraría mucho la vida del barrio.",
        "Ahora mismo está en mal estado y es peligroso.",
        "Proponemos hacerlo con materiales sostenibles y plantas autóctonas.",
        "Sería un buen lugar de encuentro para las familias.",
        "De noche hay poca luz y cuesta pasar tranquilo.",
        "Hay que pensar también en las personas con movilidad reducida.",
        "Las entidades del barrio se ofrecen a colaborar.",
        "Reduciría el tráfico y el ruido de los coches.",
    ),
    "comments": (
        "Estoy de acuerdo, hace falta.", "Paso cada día y es verdad.", "¿Cuánto costaría?",
        "Mejor hacerlo al otro lado de la calle.", "No creo que sea prioritario.",
        "Muy buena idea, la he apoyado.", "Habría que preguntar a los vecinos.",
    ),
}

LANGUAGES = {"ca": CA, "es": ES}
SEARCH_WORD = "arbres"
"""A word of the Catalan titles (one in about thirty proposals) that the filtered scenario searches for."""


def person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)} {rng.choice(SURNAMES)}"


def proposal_text(rng: random.Random, language: str) -> tuple[str, str]:
    """A title and a plain-text body (paragraphs separated by blank lines)."""
    words = LANGUAGES[language]
    title = f"{rng.choice(words['verbs'])} {rng.choice(words['things'])} {rng.choice(words['places'])}"
    paragraphs = [" ".join(rng.sample(words["sentences"], rng.randint(1, 3))) for _ in range(rng.randint(1, 3))]
    return title, "\n\n".join(paragraphs)


def comment_text(rng: random.Random, language: str) -> str:
    words = LANGUAGES[language]
    return " ".join(rng.sample(words["comments"], rng.randint(1, 2)))
