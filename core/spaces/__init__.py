"""Spaces: where participation happens, with their phases and the components switched on in them.

``public`` holds the pages everyone sees and mounts each component type's routes inside spaces;
``admin`` the administration of spaces, phases and components; ``services`` their rules.
"""

from core.spaces.public import CurrentComponent, component_url, published_space, routers
from core.spaces.services import active_phase, phase_settings_of, settings_of

__all__ = ["CurrentComponent", "active_phase", "component_url", "phase_settings_of", "published_space", "routers",
           "settings_of"]
