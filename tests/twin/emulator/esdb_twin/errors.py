"""Start-up failures, rendered the way 22.10's Program.Main logs them before exiting with code 1."""


class StartupFailure(Exception):
    """A failure that ends start-up: `fatal` is the FTL line, `detail` the exception lines under it."""

    def __init__(self, fatal, detail=()):
        super().__init__(fatal)
        self.fatal = fatal
        self.detail = list(detail)


def host_terminated(exception_type, message, inner=None):
    """An unexpected exception: 22.10 logs 'Host terminated unexpectedly.' and the exception text."""
    detail = ["%s: %s" % (exception_type, message)]
    if inner:
        detail.append(" ---> %s: %s" % inner)
    return StartupFailure("Host terminated unexpectedly.", detail)


def invalid_configuration(message):
    """An InvalidConfigurationException: 22.10 logs 'Invalid Configuration: <message>'."""
    return StartupFailure("Invalid Configuration: " + message)


def app_init(message):
    return host_terminated("EventStore.Common.Exceptions.ApplicationInitializationException", message)
