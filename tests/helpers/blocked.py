"""Code for a child ``python -c`` that cannot import the named packages.

A finder first on ``sys.meta_path`` answers for them with a loader that raises ImportError, as on
a machine where they are not installed. It returns a spec rather than raising in ``find_spec``:
torch's compiler asks ``importlib.util.find_spec("tensorflow")`` while it loads and must get an
answer. (Setting ``sys.modules[name] = None`` blocks an import too, but libraries that probe
``sys.modules`` for an optional framework, such as SciPy's array-API check, then crash on the None.)
"""


def block_imports(*names: str) -> str:
    """Lines of Python that make importing any of ``names`` (or their submodules) fail."""
    return (
        "import sys, importlib.machinery\n"
        "class _Blocked:\n"
        f"    names = {tuple(names)!r}\n"
        "    @classmethod\n"
        "    def find_spec(cls, fullname, path=None, target=None):\n"
        "        if fullname.split('.')[0] in cls.names:\n"
        "            return importlib.machinery.ModuleSpec(fullname, cls)\n"
        "    @staticmethod\n"
        "    def create_module(spec):\n"
        "        raise ImportError(f'{spec.name} is blocked in this test')\n"
        "sys.meta_path.insert(0, _Blocked)\n"
    )
