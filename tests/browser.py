"""Only for tests/test_wheel.py, which still imports `free_port` from here: the helpers are in tests/support.

Delete this file once test_wheel.py imports `from tests.support.net import free_port`.
"""

from tests.support.net import free_port

__all__ = ["free_port"]
