def test_postgres_fixture_gives_a_fresh_writable_database(postgres_db):
    with postgres_db.connect() as conn, conn.cursor() as cur:
        cur.execute("create table t (id int primary key)")
        cur.execute("insert into t values (1), (2)")
        cur.execute("select count(*), current_database() from t")
        count, name = cur.fetchone()
    assert count == 2
    assert name == postgres_db.database
