"""Settings: read from the environment and a TOML file, every bad value named at start-up."""

from __future__ import annotations

import pytest

from core.settings import Settings, SettingsError, load_settings


def test_defaults_run_on_a_laptop(tmp_path):
    settings = load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path / "data")})
    assert settings.is_sqlite
    assert settings.effective_database_url == f"sqlite+aiosqlite:///{tmp_path / 'data' / 'participa.sqlite3'}"
    assert settings.outbox_path == tmp_path / "data" / "outbox"
    assert settings.backup_path == tmp_path / "data" / "backups"
    assert not (tmp_path / "data").exists()  # reading settings writes nothing


def test_an_app_without_a_secret_generates_one_and_keeps_it(tmp_path):
    from core.app import create_app

    settings = load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path)})
    create_app(settings)
    assert len(settings.secret_key) >= 32
    assert (tmp_path / "secret_key").read_text() == settings.secret_key
    again = load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path)})
    create_app(again)
    assert again.secret_key == settings.secret_key  # sessions survive restarts


def test_environment_values_are_converted(tmp_path):
    settings = load_settings(environ={
        "PARTICIPA_DATA_DIR": str(tmp_path),
        "PARTICIPA_DATABASE_URL": "postgresql+asyncpg://u:p@db/participa",
        "PARTICIPA_DISABLED_PLUGINS": "pages, budgets",
        "PARTICIPA_TRUSTED_PROXIES": "10.0.0.1,10.0.0.2",
        "PARTICIPA_BACKUP_HOUR": "4",
        "PARTICIPA_QUEUE_IMMEDIATE": "true",
        "PARTICIPA_SECRET_KEY": "s" * 40,
    })
    assert not settings.is_sqlite
    assert settings.disabled_plugins == ["pages", "budgets"]
    assert settings.trusted_proxies == ["10.0.0.1", "10.0.0.2"]
    assert settings.backup_hour == 4
    assert settings.queue_immediate is True


def test_toml_file_is_read_and_the_environment_wins(tmp_path):
    config = tmp_path / "participa.toml"
    config.write_text('default_locale = "es"\nbackup_hour = 5\ndisabled_plugins = ["pages"]\n')
    settings = load_settings(environ={"PARTICIPA_CONFIG": str(config), "PARTICIPA_BACKUP_HOUR": "6",
                                      "PARTICIPA_DATA_DIR": str(tmp_path)})
    assert settings.default_locale == "es"
    assert settings.backup_hour == 6
    assert settings.disabled_plugins == ["pages"]


def test_toml_file_in_the_data_folder_is_found(tmp_path):
    (tmp_path / "participa.toml").write_text('[participa]\ndefault_locale = "ca"\n')
    assert load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path)}).default_locale == "ca"


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({"PARTICIPA_BACKUP_HOUR": "noon"}, "backup_hour: Expected `int`"),
        ({"PARTICIPA_BACKUP_HOUR": "25"}, "backup_hour: must be between 0 and 23"),
        ({"PARTICIPA_DEFAULT_LOCALE": "fr"}, "default_locale"),
        ({"PARTICIPA_DATABASE_URL": "mysql://x/y"}, "database_url: must start with"),
        ({"PARTICIPA_REDIS_URL": "localhost:6379"}, "redis_url: must start with redis://"),
        ({"PARTICIPA_MAIL_URL": "mail.example.org"}, "mail_url: must be empty"),
        ({"PARTICIPA_SECRET_KEY": "short"}, "secret_key: must be at least 32 characters"),
        ({"PARTICIPA_SESSION_MAX_AGE": "5"}, "session_max_age: must be at least 60"),
    ],
)
def test_each_bad_value_is_named(tmp_path, environ, message):
    with pytest.raises(SettingsError) as error:
        load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path), **environ})
    assert message in str(error.value)


def test_several_bad_values_are_all_reported(tmp_path):
    with pytest.raises(SettingsError) as error:
        load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path), "PARTICIPA_BACKUP_HOUR": "30",
                               "PARTICIPA_SECRET_KEY": "short"})
    assert "backup_hour" in str(error.value) and "secret_key" in str(error.value)


def test_unknown_and_malformed_toml_settings_are_refused(tmp_path):
    config = tmp_path / "participa.toml"
    config.write_text('databse_url = "sqlite+aiosqlite:///x"\n')
    with pytest.raises(SettingsError, match="databse_url: unknown setting"):
        load_settings(environ={"PARTICIPA_CONFIG": str(config)})
    config.write_text("default_locale = \n")
    with pytest.raises(SettingsError, match="participa.toml"):
        load_settings(environ={"PARTICIPA_CONFIG": str(config)})
    with pytest.raises(SettingsError, match="does not exist"):
        load_settings(environ={"PARTICIPA_CONFIG": str(tmp_path / "missing.toml")})


def test_an_unknown_theme_is_refused(tmp_path):
    with pytest.raises(SettingsError, match="theme: no folder named 'seaside'"):
        load_settings(environ={"PARTICIPA_DATA_DIR": str(tmp_path), "PARTICIPA_THEME": "seaside"})


def test_settings_struct_validates_when_built_directly():
    with pytest.raises(SettingsError, match="backup_retention_days"):
        Settings(backup_retention_days=0, secret_key="k" * 40)
