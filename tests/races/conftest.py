from tests.transactional import restore_migration_rows_after_transactional_tests as pytest_runtest_teardown

__all__ = ["pytest_runtest_teardown"]
