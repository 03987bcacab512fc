"""The forms of people's accounts. Fields used by several forms are declared once, below."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec
from msgspec import Meta

from core.i18n import N_

EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
EMAIL_FORMAT = N_("Enter an e-mail address like name@example.org.")

Email = Annotated[str, Meta(min_length=3, max_length=254, pattern=EMAIL_PATTERN, title=N_("E-mail"),
                            extra={"input": "email", "autocomplete": "email", "pattern_message": EMAIL_FORMAT})]
Name = Annotated[str, Meta(min_length=1, max_length=120, title=N_("Your name"),
                           description=N_("As you want others to see it."), extra={"autocomplete": "name"})]
Nickname = Annotated[str, Meta(
    min_length=3, max_length=32, pattern=r"^[A-Za-z0-9_]+$", title=N_("Nickname"),
    description=N_("Shown with what you write: letters, numbers and _, from 3 to 32."),
    extra={"autocomplete": "username", "pattern_message": N_("Use only letters, numbers and _.")},
)]
ChosenPassword = Annotated[str, Meta(min_length=1, max_length=256, title=N_("Password"),
                                     description=N_("At least 10 characters."),
                                     extra={"input": "password", "autocomplete": "new-password"})]
NewPasswordField = Annotated[str, Meta(min_length=1, max_length=256, title=N_("New password"),
                                       description=N_("At least 10 characters."),
                                       extra={"input": "password", "autocomplete": "new-password"})]
CurrentPassword = Annotated[str, Meta(min_length=1, max_length=256, title=N_("Current password"),
                                      extra={"input": "password", "autocomplete": "current-password"})]
MinimumAge = Annotated[bool, Meta(title=N_("I am %(age)s years old or older"), extra={"must_accept": True})]
AcceptTerms = Annotated[bool, Meta(title=N_("I have read and accept the terms of use"), extra={"must_accept": True})]
Newsletter = Annotated[bool, Meta(title=N_("Send me the newsletter (you can stop it at any time)"))]


class Registration(msgspec.Struct, kw_only=True):
    name: Name
    nickname: Nickname
    email: Email
    password: ChosenPassword
    minimum_age: MinimumAge
    terms: AcceptTerms
    newsletter: Newsletter = False


class InvitationAcceptance(msgspec.Struct, kw_only=True):
    """Registration without the e-mail, which the invitation fixes."""

    name: Name
    nickname: Nickname
    password: ChosenPassword
    minimum_age: MinimumAge
    terms: AcceptTerms


class Login(msgspec.Struct, kw_only=True):
    email: Email
    password: Annotated[str, Meta(min_length=1, max_length=256, title=N_("Password"),
                                  extra={"input": "password", "autocomplete": "current-password"})]


class ForgottenPassword(msgspec.Struct, kw_only=True):
    email: Email


class NewPassword(msgspec.Struct, kw_only=True):
    password: NewPasswordField


class Preferences(msgspec.Struct, kw_only=True):
    name: Name
    locale: Annotated[Literal["ca", "es", "en"], Meta(
        title=N_("Language"), description=N_("Of the pages and of the mail we send you."),
        extra={"labels": {"ca": "Català", "es": "Español", "en": "English"}},
    )]
    newsletter: Newsletter = False


class PasswordChange(msgspec.Struct, kw_only=True):
    current_password: CurrentPassword
    password: NewPasswordField


class EmailChange(msgspec.Struct, kw_only=True):
    email: Annotated[str, Meta(
        min_length=3, max_length=254, pattern=EMAIL_PATTERN, title=N_("New e-mail"),
        description=N_("We send a link there; the change happens when you open it."),
        extra={"input": "email", "autocomplete": "email", "pattern_message": EMAIL_FORMAT},
    )]
    current_password: CurrentPassword


class Deletion(msgspec.Struct, kw_only=True):
    current_password: CurrentPassword
    understood: Annotated[bool, Meta(
        title=N_("I understand that my account and my personal data are deleted, and this cannot be undone"),
        extra={"must_accept": True},
    )]
