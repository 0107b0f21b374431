"""wipeout.Scenario: scenario files loaded, changed, shown and written by the library's own parser."""
import math
import numbers
import os
import re
import tomllib

from . import _core

InputError = _core.InputError

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_DOTTED_KEY = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")


def toml_value(value):
    """A Python value as TOML: bool, int, float, str, a dict as an inline table (a distribution), a list."""
    if hasattr(value, "item") and not isinstance(value, (list, tuple, dict)):
        value = value.item()  # numpy scalars
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isnan(v):
            return "nan"
        if math.isinf(v):
            return "inf" if v > 0 else "-inf"
        return repr(v)  # shortest text that reads back to the same double
    if isinstance(value, (str, os.PathLike)):
        return _toml_string(os.fspath(value))
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    raise InputError(f"{value!r}: cannot be written as a TOML value (expected a number, string, bool, "
                     f"list or dict)")


def _toml_string(text):
    out = []
    for c in text:
        if c in '"\\':
            out.append("\\" + c)
        elif ord(c) < 0x20 or ord(c) == 0x7F:
            out.append(f"\\u{ord(c):04X}")
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _toml_key(key, dotted=False):
    key = str(key)
    return key if (_DOTTED_KEY if dotted else _BARE_KEY).match(key) else _toml_string(key)


def dict_to_toml(d):
    """A scenario dict ({"shock": {"size": 0.1}, "run": {"paths": 100}}) as TOML text; dotted keys
    ({"shock.size": 0.1}) are TOML dotted keys."""
    if not isinstance(d, dict):
        raise InputError(f"a scenario dict must be a dict, not {type(d).__name__}")
    lines = [f"{_toml_key(k, dotted=True)} = {toml_value(v)}" for k, v in d.items() if not isinstance(v, dict)
             or "." in str(k)]
    for section, table in d.items():
        if isinstance(table, dict) and "." not in str(section):
            lines.append(f"[{_toml_key(section)}]")
            lines += [f"{_toml_key(k, dotted=True)} = {toml_value(v)}" for k, v in table.items()]
    return "\n".join(lines) + "\n"


def assignment(key, value):
    """`key=value` as `--set` takes it."""
    return f"{key}={toml_value(value)}"


class Scenario:
    """A wipeout scenario: every engine parameter as a fixed value or a distribution sampled per path, and
    the [run] settings (paths, seed, tiers). The same parser, checks and messages as the command line:

    >>> s = wipeout.Scenario.load("experiments/weekend_air_pocket.toml")
    >>> s.set("shock.size", 0.12).set("regime.air_pocket", {"dist": "bernoulli", "p": 0.5})
    >>> print(s.show())             # what `wipeout scenario show FILE --set ...` prints
    >>> s.write("my.toml")          # a valid scenario file: wipeout run my.toml

    Keys a file or dict leaves out keep the built-in scenario's values (or the engine's defaults with
    [run] base = "engine"). Bad input raises wipeout.InputError naming file:line:column, key and value.
    """

    __slots__ = ("_impl",)

    def __init__(self, _impl=None):
        """The built-in default scenario (use the class methods to load one)."""
        self._impl = _impl if _impl is not None else _core.Scenario.builtin()

    @classmethod
    def builtin(cls):
        """The default scenario compiled into wipeout (what `wipeout run` runs without a file)."""
        return cls(_core.Scenario.builtin())

    @classmethod
    def engine_defaults(cls):
        """Every parameter fixed at the engine's default value."""
        return cls(_core.Scenario.engine_defaults())

    @classmethod
    def load(cls, path):
        """Reads a scenario TOML file; a relative [run] tiers path is relative to the file."""
        return cls(_core.Scenario.load(os.fspath(path)))

    @classmethod
    def from_toml(cls, text, source_name="<toml>", base_dir=None):
        """Parses scenario TOML text; errors name `source_name`:line:column. A relative [run] tiers path
        is taken relative to base_dir (default: the working directory)."""
        return cls(_core.Scenario.parse(text, source_name, os.fspath(base_dir) if base_dir else ""))

    @classmethod
    def from_dict(cls, d, source_name="<dict>"):
        """A scenario from a dict of tables, as tomllib reads a scenario file:
        {"run": {"paths": 2000}, "shock": {"size": {"dist": "uniform", "low": 0.02, "high": 0.15}}}.
        Dotted keys work too: {"shock.size": 0.12}."""
        return cls.from_toml(dict_to_toml(d), source_name)

    @classmethod
    def of(cls, scenario=None, set=None):
        """A new Scenario from what wipeout.run and wipeout.path accept: None (built-in), a Scenario, a dict,
        a path (str without newline or '=', or os.PathLike) or TOML text; then the `set` overrides."""
        if scenario is None:
            s = cls.builtin()
        elif isinstance(scenario, Scenario):
            s = scenario.copy()
        elif isinstance(scenario, dict):
            s = cls.from_dict(scenario)
        elif isinstance(scenario, os.PathLike):
            s = cls.load(scenario)
        elif isinstance(scenario, str):
            s = cls.from_toml(scenario) if ("\n" in scenario or "=" in scenario) else cls.load(scenario)
        else:
            raise InputError(f"scenario: expected None, a Scenario, a dict, a file path or TOML text, not "
                             f"{type(scenario).__name__}")
        if set is not None:
            s.update(set)
        return s

    def copy(self):
        """An independent copy."""
        return Scenario(self._impl.copy())

    def set(self, key, value=None):
        """Overrides one entry, as `wipeout run --set key=value`: set("shock.size", 0.12),
        set("shock.size", {"dist": "lognormal", "median": 0.05, "sigma": 0.5}), set("mark.rule", "last"),
        set("shock.size.median", 0.08) (one parameter of the key's distribution), set("run.paths", 2000);
        or one `key=value` string in the command line's TOML syntax. Returns the scenario (to chain)."""
        if value is None:
            if not isinstance(key, str):
                raise InputError(f"set: expected 'key=value' or a key and a value, not {key!r}")
            self._impl.set(key)
        else:
            self._impl.set(assignment(key, value))
        return self

    def update(self, overrides):
        """Applies several overrides: a dict {key: value}, or 'key=value' strings (one or a list)."""
        if isinstance(overrides, dict):
            for k, v in overrides.items():
                self.set(k, v)
        elif isinstance(overrides, str):
            self.set(overrides)
        else:
            for o in overrides:
                self.set(o)
        return self

    def show(self):
        """The scenario as commented TOML, every parameter with its unit, range and doc: the text of
        `wipeout scenario show`, itself a valid scenario file."""
        return self._impl.to_toml()

    def write(self, path):
        """Writes show()'s text to a file (replacing it)."""
        with open(os.fspath(path), "w", encoding="utf-8") as f:
            f.write(self.show())

    def to_dict(self):
        """The scenario as a dict of tables (show() read by tomllib); Scenario.from_dict reads it back."""
        return tomllib.loads(self.show())

    @property
    def paths(self):
        """[run] paths."""
        return self._impl.paths

    @property
    def seed(self):
        """[run] seed."""
        return self._impl.seed

    @property
    def tiers(self):
        """[run] tiers: the tier CSV's absolute path, or '' for the embedded BTCUSDT table."""
        return self._impl.tiers

    @property
    def history(self):
        """[run] history: the price-history CSV's absolute path, or '' for none."""
        return self._impl.history

    @property
    def source(self):
        """Where the scenario came from, and its overrides."""
        return self._impl.source

    def __eq__(self, other):
        return isinstance(other, Scenario) and self._impl == other._impl

    __hash__ = None

    def __repr__(self):
        return f"<wipeout.Scenario {self.source}: {self.paths} paths, seed {self.seed}>"
