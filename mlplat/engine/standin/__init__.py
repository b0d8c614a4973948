"""Stand-in provider plugins for aws, gcp and azure-native, for the real Pulumi engine without clouds.

`python -m mlplat.engine.standin <package> [engine flags] <engine address>` is launched the way the
engine launches `pulumi-resource-<package>`: it serves `pulumirpc.ResourceProvider` on 127.0.0.1 and
prints its port on stdout. It answers from the offline engine's fakes (`mlplat/engine/fakes/`): the
same computed outputs (`mocks.computed_outputs`), the same preview answers (`mocks.preview_outputs`),
the same invokes (each fake module's `CALLS`), and it diffs with each type's documented
replace-on-change properties (`mlplat/engine/replacements.py`).

`language.py` is a stand-in `pulumi-language-python` (the Python language host), because the Go module
proxy refuses the real one's module (403); `write_language_host` writes its launcher.
"""

from mlplat.engine.standin.install import PACKAGES, plugin_version, write_language_host, write_launchers

__all__ = ["PACKAGES", "plugin_version", "write_language_host", "write_launchers"]
