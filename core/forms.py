"""HTML forms described by msgspec Structs: one schema gives the fields, their labels and help,
their limits, and the validation with a message per field.

A field is declared with ``Annotated[type, Meta(...)]``: ``title`` is its label and
``description`` its help (both untranslated message ids), the constraints (``min_length``,
``max_length``, ``ge``, ``le``, ``pattern``) are checked here with translated messages, and
``extra`` may say ``{"input": "email", "autocomplete": "email", "pattern_message": N_(...)}``.
A ``dict[str, str]`` field is a text in every language of the organization: one input per
language, named ``<field>.<language>``; ``extra`` may give its ``max_length`` and
``"input": "textarea"`` or ``"richtext"`` (sanitised HTML); without a default, the first
language is required. Several forms can share one HTML form with a ``prefix`` each.
A field whose options come from the database (a space's categories) gets them through ``choices``:
it is then a select, and only the values offered pass; with no options at all it is left out.
``groups`` may put its options under headings (a space's areas by area type: ``<optgroup>``).
Every field is validated on its own, so a person sees every problem at once, and what they
typed is kept (except passwords).
"""

from __future__ import annotations

import datetime
import enum
import math
import re
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import msgspec
from msgspec import inspect as mi

from core.i18n import LANGUAGE_NAMES, N_
from core.richtext import sanitize

Translate = Callable[..., str]

MESSAGES = {
    "required": N_("Fill in this field."),
    "accept": N_("Tick this box to go on."),
    "too_short": N_("Write at least %(limit)s characters."),
    "too_long": N_("Write at most %(limit)s characters."),
    "too_small": N_("Enter a number of at least %(limit)s."),
    "too_large": N_("Enter a number of at most %(limit)s."),
    "not_a_number": N_("Enter a whole number."),
    "not_a_decimal": N_("Enter a number, with a point or a comma for decimals, for example 41.3874."),
    "not_a_date": N_("Enter a date as year-month-day, for example 2027-03-15."),
    "choice": N_("Choose one of the options."),
    "pattern": N_("The format is not valid."),
    "required_in": N_("Fill in this field, at least in %(language)s."),
}


@dataclass
class FieldView:
    """What a template needs to render one field."""

    name: str
    label: str
    help: str
    input: str
    value: Any
    required: bool
    error: str = ""
    choices: list[tuple[str, str]] = field(default_factory=list)
    autocomplete: str = ""
    max_length: int | None = None
    parts: list[TranslatedPart] = field(default_factory=list)
    """For a text in several languages: one input per language."""
    multiline: bool = False
    option_groups: list[tuple[str, list[tuple[str, str]]]] = field(default_factory=list)
    """A select's options in runs of the same group (its heading, "" for none): shown with <optgroup>."""

    @property
    def id(self) -> str:
        return "field-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower())

    @property
    def described_by(self) -> str:
        """Ids of the help and error texts that belong to the input (for aria-describedby)."""
        return " ".join(part for part, present in ((f"{self.id}-help", self.help), (f"{self.id}-error", self.error))
                        if present)


@dataclass
class TranslatedPart:
    """The input of one language of a translated field."""

    name: str
    locale: str
    language: str
    value: str

    @property
    def id(self) -> str:
        return "field-" + re.sub(r"[^a-z0-9]+", "-", self.name.lower())


@dataclass
class Spec:
    """A field's type with its Meta: constraints live on ``kind``, the rest beside it."""

    kind: mi.Type
    optional: bool
    title: str | None
    description: str | None
    extra: dict[str, Any]


def describe(info: mi.Type) -> Spec:
    """Peel ``X | None`` and msgspec's Metadata wrappers off a field's type."""
    optional = False
    title = description = None
    extra: dict[str, Any] = {}
    while True:
        if isinstance(info, mi.Metadata):
            schema = info.extra_json_schema or {}
            title = title or schema.get("title")
            description = description or schema.get("description")
            extra = {**(info.extra or {}), **extra}
            info = info.type
        elif isinstance(info, mi.UnionType):
            others = [t for t in info.types if not isinstance(t, mi.NoneType)]
            if len(others) != 1:
                break
            optional, info = True, others[0]
        else:
            break
    return Spec(info, optional, title, description, extra)


def _input_kind(info: mi.Type, extra: dict[str, Any]) -> str:
    if "input" in extra:
        return extra["input"]
    if isinstance(info, mi.BoolType):
        return "checkbox"
    if isinstance(info, (mi.IntType, mi.FloatType)):
        return "number"
    if isinstance(info, mi.DateType):
        return "date"
    if isinstance(info, (mi.LiteralType, mi.EnumType)):
        return "select"
    if isinstance(info, mi.DictType):
        return "translated"
    return "text"


class Form:
    """One form: the submitted (or initial) values, the errors, and the validated Struct."""

    def __init__(self, schema: type[msgspec.Struct], gettext: Translate, data: Mapping[str, Any] | None = None,
                 initial: msgspec.Struct | Mapping[str, Any] | None = None,
                 context: Mapping[str, Any] | None = None, locales: Sequence[str] = ("en",),
                 prefix: str = "", choices: Mapping[str, Sequence[tuple[str, str]]] | None = None,
                 groups: Mapping[str, Mapping[str, str]] | None = None) -> None:
        self.schema = schema
        self._ = gettext
        self.context = dict(context or {})
        """Values for the variables in labels and help ("I am %(age)s years old or older")."""
        self.locales = list(locales)
        """Languages of translated fields, the required one first."""
        self.prefix = prefix
        self.choices = {name: list(options) for name, options in (choices or {}).items()}
        """Options read from the database, per field: (value, label already translated)."""
        self.groups = {name: dict(headings) for name, headings in (groups or {}).items()}
        """Per field, the heading (already translated) of the group of each option value that is in one."""
        self.info = typing.cast(mi.StructType, mi.type_info(schema))
        self.submitted = data is not None
        if data is not None:
            self.raw: dict[str, Any] = {key[len(prefix):]: value for key, value in data.items()
                                        if key.startswith(prefix)}
        else:
            if isinstance(initial, msgspec.Struct):
                initial = msgspec.structs.asdict(initial)
            self.raw = {}
            for name, value in (initial or {}).items():
                if isinstance(value, dict):  # a translated text: one input per language
                    self.raw.update({f"{name}.{locale}": text for locale, text in value.items()})
                else:
                    self.raw[name] = value
        self.errors: dict[str, str] = {}
        self.result: msgspec.Struct | None = None

    # ---------------------------------------------------------------- validation

    def validate(self) -> bool:
        """Check every field; on success ``result`` holds the Struct."""
        values: dict[str, Any] = {}
        for info in self.info.fields:
            value, error = self._clean(info)
            if error:
                self.errors[info.name] = error
            elif value is not msgspec.UNSET:
                values[info.name] = value
        if self.errors:
            return False
        try:
            self.result = msgspec.convert(values, self.schema)
        except msgspec.ValidationError:  # a constraint the per-field checks do not know
            self.errors["__all__"] = self._(MESSAGES["pattern"])
            return False
        return True

    def add_error(self, name: str, message: str) -> None:
        """A rule that needs more than the schema (a taken e-mail, a wrong password)."""
        self.errors[name] = message

    @property
    def valid(self) -> bool:
        return self.result is not None and not self.errors

    def _clean(self, info: mi.Field) -> tuple[Any, str]:
        spec = describe(info.type)
        kind, optional, extra = spec.kind, spec.optional, spec.extra
        if isinstance(kind, mi.DictType):
            return self._clean_translated(info, extra)
        raw = self.raw.get(info.name)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        if self.submitted and not isinstance(raw, str):
            raw = None  # a file posted where text was expected is no answer
        if info.name in self.choices and not self.choices[info.name]:
            return None, ""  # nothing to choose from: the field is not shown
        if isinstance(kind, mi.BoolType):
            checked = raw in ("on", "true", "1", True)
            if extra.get("must_accept") and not checked:
                return msgspec.UNSET, self._(MESSAGES["accept"])
            return checked, ""
        text = raw.strip() if isinstance(raw, str) and extra.get("input") != "password" else (raw or "")
        if text == "":
            if optional:
                return None, ""
            if info.required or getattr(kind, "min_length", None):
                return msgspec.UNSET, self._(MESSAGES["required"])
            return msgspec.UNSET, ""
        if info.name in self.choices and text not in {value for value, _ in self.choices[info.name]}:
            return msgspec.UNSET, self._(MESSAGES["choice"])  # an option never offered: a stale or forged value
        if isinstance(kind, mi.StrType):
            if kind.min_length is not None and len(text) < kind.min_length:
                return msgspec.UNSET, self._(MESSAGES["too_short"], limit=kind.min_length)
            if kind.max_length is not None and len(text) > kind.max_length:
                return msgspec.UNSET, self._(MESSAGES["too_long"], limit=kind.max_length)
            if kind.pattern is not None and not re.search(kind.pattern, text):
                return msgspec.UNSET, self._(extra.get("pattern_message", MESSAGES["pattern"]))
            return text, ""
        if isinstance(kind, mi.IntType):
            try:
                number = int(text)
            except ValueError:
                return msgspec.UNSET, self._(MESSAGES["not_a_number"])
            if kind.ge is not None and number < kind.ge:
                return msgspec.UNSET, self._(MESSAGES["too_small"], limit=kind.ge)
            if kind.le is not None and number > kind.le:
                return msgspec.UNSET, self._(MESSAGES["too_large"], limit=kind.le)
            return number, ""
        if isinstance(kind, mi.FloatType):
            try:
                decimal = float(text.replace(",", "."))
            except ValueError:
                return msgspec.UNSET, self._(MESSAGES["not_a_decimal"])
            if not math.isfinite(decimal):  # "nan" and "inf" parse, but are no amount of anything
                return msgspec.UNSET, self._(MESSAGES["not_a_decimal"])
            if kind.ge is not None and decimal < kind.ge:
                return msgspec.UNSET, self._(MESSAGES["too_small"], limit=kind.ge)
            if kind.le is not None and decimal > kind.le:
                return msgspec.UNSET, self._(MESSAGES["too_large"], limit=kind.le)
            return decimal, ""
        if isinstance(kind, mi.DateType):
            try:
                return datetime.date.fromisoformat(text), ""
            except ValueError:
                return msgspec.UNSET, self._(MESSAGES["not_a_date"])
        if isinstance(kind, (mi.LiteralType, mi.EnumType)):
            allowed = [str(value) for value, _ in self._choices(kind, extra)]
            if text not in allowed:
                return msgspec.UNSET, self._(MESSAGES["choice"])
            return (kind.cls(text) if isinstance(kind, mi.EnumType) else text), ""
        return text, ""

    def _text(self, key: str) -> str:
        raw = self.raw.get(key)
        if isinstance(raw, list):
            raw = raw[-1] if raw else None
        return raw.strip() if isinstance(raw, str) else ""

    def _clean_translated(self, info: mi.Field, extra: dict[str, Any]) -> tuple[Any, str]:
        texts = {locale: self._text(f"{info.name}.{locale}") for locale in self.locales}
        texts = {locale: text for locale, text in texts.items() if text}
        limit = extra.get("max_length")
        if limit is not None and any(len(text) > limit for text in texts.values()):
            return msgspec.UNSET, self._(MESSAGES["too_long"], limit=limit)
        if info.required and self.locales and self.locales[0] not in texts:
            return msgspec.UNSET, self._(MESSAGES["required_in"], language=LANGUAGE_NAMES.get(
                self.locales[0], self.locales[0]))
        if extra.get("input") == "richtext":
            texts = {locale: sanitize(text) for locale, text in texts.items()}
        return texts, ""

    # ---------------------------------------------------------------- rendering

    def _choices(self, kind: mi.Type, extra: dict[str, Any]) -> list[tuple[str, str]]:
        if isinstance(kind, mi.LiteralType):
            labels = extra.get("labels", {})
            return [(str(value), self._(labels.get(value, str(value)))) for value in kind.values]
        if isinstance(kind, mi.EnumType) and issubclass(kind.cls, enum.Enum):
            return [(str(member.value), self._(getattr(member, "label", member.name))) for member in kind.cls]
        return []

    @property
    def fields(self) -> list[FieldView]:
        views = []
        for info in self.info.fields:
            spec = describe(info.type)
            kind, optional, extra = spec.kind, spec.optional, spec.extra
            if info.name in self.choices and not self.choices[info.name]:
                continue
            input_kind = "select" if info.name in self.choices else _input_kind(kind, extra)
            label = self._label(spec.title or info.name.replace("_", " ").capitalize())
            help_text = self._label(spec.description) if spec.description else ""
            if isinstance(kind, mi.DictType):
                views.append(self._translated_view(info, label, help_text, extra))
                continue
            value = self.raw.get(info.name, "" if info.default is msgspec.NODEFAULT else info.default)
            if isinstance(value, list):
                value = value[-1] if value else ""
            if input_kind == "password":
                value = ""  # never sent back to the browser
            elif input_kind == "checkbox":
                value = value in ("on", "true", "1", True)
            elif value is None:
                value = ""
            views.append(FieldView(
                name=self.prefix + info.name,
                label=label,
                help=help_text,
                input=input_kind,
                value=value if isinstance(value, (str, bool)) else str(value),
                required=not optional and (info.required or bool(getattr(kind, "min_length", None))
                                           or bool(extra.get("must_accept"))),
                error=self.errors.get(info.name, ""),
                choices=self.choices.get(info.name) or self._choices(kind, extra),
                autocomplete=extra.get("autocomplete", ""),
                max_length=getattr(kind, "max_length", None),
                option_groups=self._option_groups(info.name),
            ))
        return views

    def _option_groups(self, name: str) -> list[tuple[str, list[tuple[str, str]]]]:
        """The field's options in runs of the same group heading, when it was given groups."""
        headings = self.groups.get(name)
        if not headings:
            return []
        runs: list[tuple[str, list[tuple[str, str]]]] = []
        for value, label in self.choices.get(name, []):
            heading = headings.get(value, "")
            if not runs or runs[-1][0] != heading:
                runs.append((heading, []))
            runs[-1][1].append((value, label))
        return runs

    def _translated_view(self, info: mi.Field, label: str, help_text: str, extra: dict[str, Any]) -> FieldView:
        name = self.prefix + info.name
        parts = [
            TranslatedPart(name=f"{name}.{locale}", locale=locale, language=LANGUAGE_NAMES.get(locale, locale),
                           value=self._text(f"{info.name}.{locale}") if self.submitted
                           else str(self.raw.get(f"{info.name}.{locale}", "")))
            for locale in self.locales
        ]
        return FieldView(
            name=name, label=label, help=help_text, input="translated", value="", required=info.required,
            error=self.errors.get(info.name, ""), max_length=extra.get("max_length"), parts=parts,
            multiline=extra.get("input") in ("textarea", "richtext"),
        )

    def _label(self, message: str) -> str:
        return self._(message, **self.context) if "%(" in message else self._(message)

    @staticmethod
    def _first_input(view: FieldView) -> str:
        return view.parts[0].id if view.parts else view.id

    @property
    def error_list(self) -> list[tuple[str, str]]:
        """(field id, message) for the summary at the top of the form, in the fields' order."""
        by_name = {view.name[len(self.prefix):]: view for view in self.fields}
        ordered = [(self._first_input(by_name[name]), by_name[name].label, message) for name, message in self.errors.items()
                   if name in by_name]
        general = [("", "", message) for name, message in self.errors.items() if name not in by_name]
        return [(field_id, f"{label}: {message}" if label else message) for field_id, label, message in
                general + ordered]

