"""Route management (createApi, getApi, deleteApi): answered by the controller on the action's
web path, /api/v1/web/whisk.system/apimgmt/NAME, where the API routes are kept. Run as a
plain action, it says so."""


def main(args):
    return {
        "error": "Call this action as a web action: "
        "/api/v1/web/whisk.system/apimgmt/{createApi,getApi,deleteApi}"
    }
