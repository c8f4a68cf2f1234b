from tests.emulators.fixtures import (  # noqa: F401
    _emulator_server,
    _localstripe_server,
    emulator_key,
    localstripe,
    stripe_emulator,
)
