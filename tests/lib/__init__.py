"""The shared test harness: emulator clusters and PKI, moto, the twin's build, role files, the gossip monitor.

Imported as ansible_collections.esdb.cluster.tests.lib.<module>, the name this tree has under
.collections: pytest.ini puts .collections on the path, benchmarks and Molecule run with
PYTHONPATH=.collections. The harness imports the collection; tests and benchmarks import the
harness; nothing here imports a test or a benchmark.
"""
