"""Behaviour suites every implementation of an interface must pass (congruence tests).

A test module subclasses a suite and provides its fixture (``store`` or ``bus``); the unit tests
run the in-process implementations, the integration tests the real servers.
"""
