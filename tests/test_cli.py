"""The `kneadwell` command line: tokens, manage, serve's gunicorn command, demo's steps."""

from __future__ import annotations

import datetime as dt
import sys

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command

from kneadwell import cli, demo
from kneadwell.accounts.models import ApiToken, Role, User
from kneadwell.accounts.services import token_authenticate
from tests.cast import PASSWORD


def test_token_create_prints_only_a_working_secret(cast, capsys):
    assert cli.main(["token", "create", "--user", "desk", "--name", "laptop"]) == 0
    out, err = capsys.readouterr()
    secret = out.strip()
    assert "\n" not in secret
    assert token_authenticate(secret) == cast.desk
    assert secret not in err
    assert ApiToken.objects.get(user=cast.desk).name == "laptop"


def test_token_create_for_unknown_user_exits_2(db, capsys):
    assert cli.main(["token", "create", "--user", "nobody"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert "nobody" in err
    assert not ApiToken.objects.exists()


def test_token_list_shows_the_prefix(cast, capsys):
    cli.main(["token", "create", "--user", "desk"])
    secret = capsys.readouterr().out.strip()
    assert cli.main(["token", "list", "--user", "desk"]) == 0
    out = capsys.readouterr().out
    prefix = ApiToken.objects.get(user=cast.desk).prefix
    assert secret.startswith(prefix)
    assert prefix in out
    assert "active" in out


def test_token_revoke_by_prefix_makes_the_token_invalid(cast, capsys):
    cli.main(["token", "create", "--user", "desk"])
    secret = capsys.readouterr().out.strip()
    prefix = ApiToken.objects.get(user=cast.desk).prefix
    assert cli.main(["token", "revoke", prefix]) == 0
    assert token_authenticate(secret) is None
    cli.main(["token", "list", "--user", "desk"])
    assert "revoked" in capsys.readouterr().out


def test_token_revoke_by_whole_secret_makes_the_token_invalid(cast, capsys):
    cli.main(["token", "create", "--user", "desk"])
    secret = capsys.readouterr().out.strip()
    assert cli.main(["token", "revoke", secret]) == 0
    assert token_authenticate(secret) is None


def test_token_revoke_unknown_prefix_exits_2(db, capsys):
    assert cli.main(["token", "revoke", "kw_nothere"]) == 2
    assert "No token" in capsys.readouterr().err


def test_manage_check_passes(capsys):
    assert cli.main(["manage", "check"]) == 0
    assert "no issues" in capsys.readouterr().out


def test_manage_passes_a_failing_exit_code_through(capsys):
    assert cli.main(["manage", "no-such-command"]) == 1
    assert "Unknown command" in capsys.readouterr().err


def test_serve_binds_to_port_from_environment(monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    argv = cli.gunicorn_argv()
    assert argv[:4] == [sys.executable, "-m", "gunicorn", "kneadwell.wsgi:application"]
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8765"
    assert "--no-control-socket" in argv
    assert argv[argv.index("--access-logfile") + 1] == "-"


def test_serve_port_option_overrides_environment(monkeypatch):
    monkeypatch.setenv("PORT", "8765")
    argv = cli.gunicorn_argv(port=9001, host="0.0.0.0", workers=3)
    assert argv[argv.index("--bind") + 1] == "0.0.0.0:9001"
    assert argv[argv.index("--workers") + 1] == "3"


def test_serve_without_port_defaults_to_8000(monkeypatch):
    monkeypatch.delenv("PORT", raising=False)
    argv = cli.gunicorn_argv()
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8000"


def test_serve_execs_gunicorn_with_the_environment_port(monkeypatch):
    monkeypatch.setenv("PORT", "8766")
    ran = []
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: ran.append(argv))
    assert cli.main(["serve", "--workers", "1"]) == 0
    (argv,) = ran
    assert argv[argv.index("--bind") + 1] == "127.0.0.1:8766"
    assert argv[argv.index("--workers") + 1] == "1"


def test_serve_rejects_a_bad_port_with_exit_2(monkeypatch, capsys):
    monkeypatch.setenv("PORT", "eighty")
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: pytest.fail("must not serve"))
    assert cli.main(["serve"]) == 2
    assert "PORT" in capsys.readouterr().err


def test_demo_migrates_collects_static_loads_and_prints_logins(db, settings, monkeypatch, capsys):
    settings.DEMO = True
    monkeypatch.setenv("KNEADWELL_DEMO", "")  # restored after the test; the command sets it
    steps = []
    monkeypatch.setattr(
        "django.core.management.call_command", lambda name, **kwargs: steps.append((name, kwargs))
    )
    monkeypatch.setattr(demo, "demo_loaded", lambda: False)
    monkeypatch.setattr(
        demo, "load_demo", lambda: steps.append(("load_demo", {})) or demo.demo_summary(created=True)
    )
    monkeypatch.setattr(cli.os, "execv", lambda path, argv: pytest.fail("--no-serve must not serve"))

    assert cli.main(["demo", "--no-serve", "--port", "8765"]) == 0

    assert [name for name, _ in steps] == ["migrate", "collectstatic", "load_demo"]
    assert all(kwargs.get("interactive") is False for name, kwargs in steps if name != "load_demo")
    assert cli.os.environ["KNEADWELL_DEMO"] == "true"
    out = capsys.readouterr().out
    assert "http://127.0.0.1:8765/" in out
    for username, role in demo.DEMO_LOGINS:
        line = next(line for line in out.splitlines() if line.strip().startswith(username + " "))
        assert role.label in line
        assert demo.DEMO_PASSWORD in line


def test_demo_refuses_when_demo_is_switched_off(monkeypatch, capsys):
    monkeypatch.setenv("KNEADWELL_DEMO", "false")
    assert cli.main(["demo", "--no-serve"]) == 2
    assert "KNEADWELL_DEMO" in capsys.readouterr().err


def test_unknown_command_is_a_usage_error(capsys):
    assert cli.main(["frobnicate"]) == 2
    assert "invalid choice" in capsys.readouterr().err


def test_create_admin_makes_a_clinic_admin_with_a_verified_address(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a-long-clinic-password")
    call_command("create_admin", username="alice", email="alice@clinic.example.org", no_input=True)
    user = authenticate(username="alice", password="a-long-clinic-password")
    assert user is not None
    assert (user.role, user.is_staff, user.is_superuser) == (Role.CLINIC_ADMIN, True, True)
    assert EmailAddress.objects.get(user=user, primary=True).verified


def test_create_admin_promotes_an_existing_user_keeping_the_password(cast):
    call_command("create_admin", username="desk", email="dana@clinic.example.org")
    user = authenticate(username="desk", password=PASSWORD)
    assert user is not None
    assert user.role == Role.CLINIC_ADMIN
    assert EmailAddress.objects.get(user=user, email="dana@clinic.example.org").verified


def test_create_admin_refuses_a_weak_password(db, monkeypatch):
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "password")
    with pytest.raises(CommandError, match="password"):
        call_command("create_admin", username="bob", email="bob@clinic.example.org", no_input=True)
    assert not User.objects.filter(username="bob").exists()


class TestPlan:
    """`kneadwell plan` prints the same tailored plan the API serves, for a person to read."""

    def _frozen_shoulder(self, cast):
        from kneadwell.intake.services import intake_record
        from kneadwell.knowledge.schemas import AreaIn, DiagnosisIn
        from kneadwell.therapists.models import Training

        for key in ("swedish", "myofascial_release", "passive_stretching"):
            Training.objects.create(therapist=cast.tess, technique=key)
        intake_record(
            actor=cast.desk,
            patient=cast.pat,
            channel="phone",
            chief_complaint="Cannot lift my arm",
            areas=[AreaIn(region="shoulder", side="right")],
            diagnoses=[DiagnosisIn(condition="frozen_shoulder", onset=dt.date(2026, 5, 1))],
        )

    def test_it_prints_the_segments_instructions_and_reasons(self, cast, capsys):
        self._frozen_shoulder(cast)
        code = cli.main(
            ["plan", "--patient", "Pat Palmer", "--service", "therapeutic-60", "--date", "2026-12-01"]
        )
        out = capsys.readouterr().out
        assert code == 0
        assert "Session plan for Pat Palmer: Therapeutic massage, 60 min with Tess Turner" in out
        assert "Shoulder (right)" in out
        assert "Passive stretching" in out
        assert "loose clothing" in out
        assert "Why:" in out

    def test_it_accepts_public_ids(self, cast, capsys):
        self._frozen_shoulder(cast)
        code = cli.main(
            [
                "plan",
                "--patient",
                str(cast.pat.public_id),
                "--service",
                "therapeutic-60",
                "--therapist",
                str(cast.tess.public_id),
            ]
        )
        assert code == 0
        assert "Pat Palmer" in capsys.readouterr().out

    def test_an_unknown_patient_or_service_is_a_usage_error(self, cast, capsys):
        assert cli.main(["plan", "--patient", "Nobody Here", "--service", "therapeutic-60"]) == 2
        assert "No patient matches 'Nobody Here'" in capsys.readouterr().err
        assert cli.main(["plan", "--patient", "Pat Palmer", "--service", "hot-stones"]) == 2
        assert "No active service 'hot-stones'" in capsys.readouterr().err

    def test_it_writes_an_audit_event(self, cast, capsys):
        from kneadwell.accounts.models import AuditEvent

        self._frozen_shoulder(cast)
        cli.main(["plan", "--patient", "Pat Palmer", "--service", "therapeutic-60"])
        event = AuditEvent.objects.get(channel="cli", patient_id=str(cast.pat.public_id))
        assert event.detail["os_user"]


class TestServe:
    """`kneadwell serve`: preloaded, threaded, recycled workers; sizes from the environment."""

    def test_it_preloads_threads_and_recycles_workers(self, monkeypatch):
        for name in ("WEB_CONCURRENCY", "KNEADWELL_THREADS", "KNEADWELL_MAX_REQUESTS", "KNEADWELL_TIMEOUT"):
            monkeypatch.delenv(name, raising=False)
        argv = cli.gunicorn_argv()
        assert "--preload" in argv
        assert argv[argv.index("--worker-class") + 1] == "gthread"
        assert argv[argv.index("--threads") + 1] == "4"
        assert argv[argv.index("--max-requests") + 1] == "2000"
        assert argv[argv.index("--max-requests-jitter") + 1] == "200"
        assert argv[argv.index("--workers") + 1] == str(cli.default_workers())
        assert "--no-control-socket" in argv

    def test_sizes_come_from_the_environment(self, monkeypatch):
        monkeypatch.setenv("WEB_CONCURRENCY", "5")
        monkeypatch.setenv("KNEADWELL_THREADS", "2")
        monkeypatch.setenv("KNEADWELL_MAX_REQUESTS", "500")
        argv = cli.gunicorn_argv()
        assert argv[argv.index("--workers") + 1] == "5"
        assert argv[argv.index("--threads") + 1] == "2"
        assert argv[argv.index("--max-requests-jitter") + 1] == "50"

    def test_options_override_the_environment(self, monkeypatch):
        monkeypatch.setenv("KNEADWELL_THREADS", "2")
        ran = []
        monkeypatch.setattr(cli.os, "execv", lambda path, argv: ran.append(argv))
        assert cli.main(["serve", "--workers", "3", "--threads", "6"]) == 0
        (argv,) = ran
        assert (argv[argv.index("--workers") + 1], argv[argv.index("--threads") + 1]) == ("3", "6")

    @pytest.mark.parametrize("cores", [1, 2, 4, 64])
    def test_the_default_worker_count_suits_the_machine(self, monkeypatch, cores):
        monkeypatch.setattr(cli.os, "cpu_count", lambda: cores)
        assert cli.default_workers() == max(2, min(cores, 8))

    def test_a_bad_thread_count_is_a_usage_error(self, monkeypatch, capsys):
        monkeypatch.setenv("KNEADWELL_THREADS", "many")
        monkeypatch.setattr(cli.os, "execv", lambda path, argv: pytest.fail("must not serve"))
        assert cli.main(["serve"]) == 2
        assert "KNEADWELL_THREADS" in capsys.readouterr().err


def test_token_commands_are_audited_under_the_operating_system_user(cast, capsys):
    from kneadwell.accounts.models import AuditAction, AuditEvent

    cli.main(["token", "create", "--user", "desk"])
    prefix = ApiToken.objects.get(user=cast.desk).prefix
    cli.main(["token", "revoke", prefix])
    actions = list(AuditEvent.objects.order_by("seq").values_list("action", "channel", "actor_username"))
    assert [a[:2] for a in actions] == [
        (AuditAction.TOKEN_CREATED, "cli"),
        (AuditAction.TOKEN_REVOKED, "cli"),
    ]
    assert all(a[2].startswith("os:") for a in actions)
