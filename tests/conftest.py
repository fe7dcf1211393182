pytest_plugins = ["tests.servers", "tests.stack"]
