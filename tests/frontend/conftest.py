"""Make `frontend/` importable, and keep Chainlit's import-time writes out of the repo.

Importing chainlit (the data layer does) reads config from, and writes `.chainlit/` and
`.files/` into, `CHAINLIT_APP_ROOT`; point it at a throwaway directory before anything
imports chainlit. Browser tests start their servers with this variable removed.
"""

from __future__ import annotations

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

FRONTEND = Path(__file__).resolve().parents[2] / "frontend"
if str(FRONTEND) not in sys.path:
    sys.path.insert(0, str(FRONTEND))

if "chainlit" not in sys.modules and "CHAINLIT_APP_ROOT" not in os.environ:
    _root = tempfile.mkdtemp(prefix="chatwait-chainlit-root-")
    os.environ["CHAINLIT_APP_ROOT"] = _root
    atexit.register(shutil.rmtree, _root, True)
