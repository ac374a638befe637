"""`audiostudio providers [--check]`: each provider, whether a key is set (never the key) and
where it comes from, its origin and concurrency limit; ``--check`` makes one cheap
authenticated call (the account: plan and credits, where the service says)."""

from __future__ import annotations

import argparse


def _limit_text(provider, settings) -> str:
    limit = settings.concurrency.get(provider.name)
    if limit is not None:
        return f"{limit} at once (settings)"
    own = getattr(provider, "max_concurrency", None)
    limit = own() if callable(own) else None
    return f"{limit} at once" if limit else "the account's limit (unknown until a call)"


def _check(provider) -> tuple[bool, str]:
    """(ok, what the service said) for one cheap authenticated call."""
    from audiostudio.errors import AudiostudioError

    account = getattr(provider, "account", None)
    if not callable(account):
        return True, "no account call for this provider"
    try:
        info = account()
    except AudiostudioError as error:
        return False, str(error)
    parts = [f"plan {info.plan}" if getattr(info, "plan", None) else "plan not given"]
    left = getattr(info, "credits_left", None)
    if left is not None:
        parts.append(f"{left:,} credits left")
    if getattr(info, "concurrency", None):
        parts.append(f"{info.concurrency} requests at once")
    return True, ", ".join(parts)


def _cmd_providers(args: argparse.Namespace) -> int:
    from audiostudio.provider_setup import configured_providers, key_store
    from audiostudio.providers.config import SERVICES
    from audiostudio.settings import load_settings

    settings = load_settings()
    keys = key_store()
    providers = configured_providers(settings, keys)
    services = {s.name: s for s in SERVICES}
    failed = False
    for name, provider in providers.items():
        config = getattr(provider, "config", None)
        service = services.get(name)
        if service is None or config is None:
            print(f"{name}: built in, no key needed; {_limit_text(provider, settings)}")
            continue
        where = {"env": f"from {service.key_env}", "keyring": "from the system keyring",
                 "file": f"from {keys.file}"}.get(config.key_source)
        key = f"key set ({where})" if config.api_key else "no key"
        print(f"{name} ({service.title}): {key}; {config.base_url}; "
              f"{_limit_text(provider, settings)}")
        if not config.api_key:
            print(f"  {service.key_hint()}")
        elif args.check:
            ok, said = _check(provider)
            failed |= not ok
            print(f"  check: {'ok' if ok else 'FAILED'}: {said}")
    if keys.notice:
        print(f"note: {keys.notice}")
    return 1 if failed else 0


def register(sub: argparse._SubParsersAction) -> None:
    cmd = sub.add_parser("providers", help="list the providers, their keys (never shown) and "
                                           "limits; --check calls each service once")
    cmd.add_argument("--check", action="store_true",
                     help="make one cheap authenticated call per provider with a key")
    cmd.set_defaults(func=_cmd_providers)
