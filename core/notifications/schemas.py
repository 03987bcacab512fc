"""The form of notification settings."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_
from core.notifications.models import DELIVERIES


class DeliveryChoice(msgspec.Struct, kw_only=True):
    delivery: Annotated[Literal["immediate", "daily", "weekly", "never"], Meta(
        title=N_("Send me an e-mail about my notifications"),
        description=N_("You always see them on the site, under Notifications."),
        extra={"labels": DELIVERIES},
    )]
