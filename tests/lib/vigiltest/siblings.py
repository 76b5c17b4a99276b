"""Load another test file's helpers as a module, so a test can reuse them instead of copying.

Why: pytest imports test files in a mode where one cannot `import test_other`; loading by path
gives the module (its tests are not collected twice: pytest collects files, not this module).

  load_sibling(__file__, "test_sentinel_protocol.py") -> the module
"""

import importlib.util
import os


def load_sibling(test_file, filename):
    path = os.path.join(os.path.dirname(os.path.abspath(test_file)), filename)
    name = "vigil_helpers_" + os.path.splitext(filename)[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
