"""People's accounts: registration, e-mail confirmation, login, logout and password reset."""
