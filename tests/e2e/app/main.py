"""Serve the webpack-built JupyterLab 4 frontend (./build) with Debian's
jupyter_server 1.23 + jupyterlab_server 2.16 (python3-jupyter-server,
python3-jupyterlab-server). Run with /usr/bin/python3 main.py [--ServerApp.* options]."""
import json
import os

from jupyter_server._tz import utcnow
from jupyter_server.base.handlers import APIHandler, JupyterHandler
from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
from jupyterlab_server import LabServerApp
from tornado import web, websocket

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "build")
# User settings + workspaces (UI state). Point JLAB_STATE_DIR at a fresh dir per test run.
STATE = os.environ.get("JLAB_STATE_DIR", os.path.join(HERE, "state"))
os.environ.setdefault("JUPYTER_NO_CONFIG", "1")  # ignore ~/.jupyter config files

with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]

# Plugins that need server endpoints only the `jupyterlab` Python package provides
# (news/update check, extension manager, LSP); harmless to drop for e2e tests.
DISABLED = [
    "@jupyterlab/apputils-extension:announcements",
    "@jupyterlab/extensionmanager-extension",
    "@jupyterlab/hub-extension",
    "@jupyterlab/lsp-extension",
    "@jupyterlab/fileeditor-extension:language-server",
    "@jupyterlab/notebook-extension:language-server",
]


# jupyter_server 1.23 predates two endpoints that the JupyterLab 4 frontend polls:
# GET /api/me (identity, server 2.0+) and the /api/events/subscribe websocket (event
# bus, server 2.0+). Without them the UI still works but logs 404s forever.
class MeHandler(APIHandler):
    @web.authenticated
    def get(self):
        name = "e2e"
        self.finish({
            "identity": {"username": name, "name": name, "display_name": name,
                         "initials": "E", "avatar_url": None, "color": None},
            "permissions": {},
        })


class EventsSubscribeHandler(websocket.WebSocketHandler, JupyterHandler):
    def set_default_headers(self):
        pass

    async def get(self, *args, **kwargs):
        if self.get_current_user() is None:
            raise web.HTTPError(403)
        await super().get(*args, **kwargs)

    def on_message(self, message):
        pass  # nothing is ever emitted


# jupyter_server 1.23 race: GET /api/kernels while a kernel is still starting (e.g. right after
# Kernel > Change Kernel) raises AttributeError 'last_activity' -> HTTP 500. The UI recovers on
# its next poll, but fill in the defaults so test runs stay clean.
_orig_kernel_model = MappingKernelManager.kernel_model


def _kernel_model(self, kernel_id):
    kernel = self._kernels.get(kernel_id)
    if kernel is not None and not hasattr(kernel, "last_activity"):
        kernel.last_activity = utcnow()
        kernel.execution_state = getattr(kernel, "execution_state", "starting")
    return _orig_kernel_model(self, kernel_id)


MappingKernelManager.kernel_model = _kernel_model


def _jupyter_server_extension_points():
    return [{"module": __name__, "app": JLabApp}]


class JLabApp(LabServerApp):
    name = "jlab_e2e"
    extension_url = "/lab"
    default_url = "/lab"
    load_other_extensions = False
    app_name = "JupyterLab"
    app_version = VERSION
    app_settings_dir = os.path.join(BUILD, "application_settings")
    schemas_dir = os.path.join(BUILD, "schemas")
    static_dir = BUILD
    templates_dir = os.path.join(HERE, "templates")
    themes_dir = os.path.join(BUILD, "themes")
    user_settings_dir = os.path.join(STATE, "user_settings")
    workspaces_dir = os.path.join(STATE, "workspaces")

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.extend([
            (r"/api/me", MeHandler),
            (r"/api/events/subscribe", EventsSubscribeHandler),
        ])

    def initialize_settings(self):
        super().initialize_settings()
        self.serverapp.web_app.settings["page_config_hook"] = _page_config_hook


def _page_config_hook(handler, page_config):
    # Runs after jupyterlab_server merged its on-disk page_config.json data.
    page_config["disabledExtensions"] = sorted(
        set(page_config.get("disabledExtensions") or []) | set(DISABLED)
    )
    page_config["exposeAppInBrowser"] = True  # window.jupyterapp for tests
    page_config["notebookStartsKernel"] = True
    return page_config


if __name__ == "__main__":
    JLabApp.launch_instance()
