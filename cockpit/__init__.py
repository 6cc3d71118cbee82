"""cockpit: a terminal trading cockpit for crypto-derivatives traders."""

from pathlib import Path

__version__ = "0.1.0"

# widgets/ and themes/ sit beside cockpit/ in a checkout and install inside it (cockpit.widgets,
# cockpit.themes). Installed, they are here; imported straight from a checkout (`python -m cockpit` in the
# repository's root puts the checkout first on sys.path), the checkout's root is searched for them too.
_checkout = Path(__file__).resolve().parent.parent
if not (Path(__file__).parent / "widgets").is_dir() and (_checkout / "widgets" / "__init__.py").is_file():
    __path__.append(str(_checkout))
