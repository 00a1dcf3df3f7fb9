/**
 * Versioned schema migrations, applied in order, each in its own transaction. Never edit a
 * migration that has shipped: add the next one. The SQL stays portable to PostgreSQL (no SQLite-only
 * types; INTEGER/TEXT/BLOB map to bigint/text/bytea) so the second engine can run the same list.
 */
export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'certificate lifecycle',
    sql: `
      CREATE TABLE meta (
        name  TEXT PRIMARY KEY,
        value TEXT NOT NULL
      );
      CREATE TABLE private_keys (
        id          INTEGER PRIMARY KEY,
        key_type    TEXT    NOT NULL,
        spki_sha256 TEXT    NOT NULL,
        exportable  INTEGER NOT NULL,
        created     TEXT    NOT NULL,
        sealed      BLOB    NOT NULL
      );
      CREATE INDEX private_keys_spki ON private_keys (spki_sha256);
      CREATE TABLE requests (
        id          INTEGER PRIMARY KEY,
        subject     TEXT    NOT NULL,
        cn          TEXT    NOT NULL,
        sans        TEXT    NOT NULL,
        key_type    TEXT    NOT NULL,
        key_id      INTEGER NOT NULL REFERENCES private_keys (id),
        spki_sha256 TEXT    NOT NULL,
        csr         TEXT    NOT NULL,
        created     TEXT    NOT NULL
      );
      CREATE INDEX requests_spki ON requests (spki_sha256);
      CREATE TABLE certificates (
        thumbprint     TEXT    PRIMARY KEY,
        friendly_name  TEXT    NOT NULL,
        store          TEXT    NOT NULL,
        subject        TEXT    NOT NULL,
        issuer         TEXT    NOT NULL,
        issued_to      TEXT    NOT NULL,
        issued_by      TEXT    NOT NULL,
        sans           TEXT    NOT NULL,
        not_before     TEXT    NOT NULL,
        not_after      TEXT    NOT NULL,
        serial_number  TEXT    NOT NULL,
        key_type       TEXT    NOT NULL,
        spki_sha256    TEXT    NOT NULL,
        key_id         INTEGER REFERENCES private_keys (id),
        chain          TEXT    NOT NULL,
        chain_complete INTEGER NOT NULL,
        created        TEXT    NOT NULL,
        -- The large columns go last: listing reads the columns above without stepping over them.
        der            BLOB    NOT NULL,
        chain_der      TEXT    NOT NULL
      );
      CREATE INDEX certificates_friendly_name ON certificates (friendly_name, thumbprint);
      CREATE INDEX certificates_store ON certificates (store);
      CREATE INDEX certificates_not_after ON certificates (not_after);
      CREATE TABLE internal_ca (
        id      INTEGER PRIMARY KEY CHECK (id = 1),
        der     BLOB    NOT NULL,
        key_id  INTEGER NOT NULL REFERENCES private_keys (id),
        created TEXT    NOT NULL
      );
      CREATE TABLE audit (
        id      INTEGER PRIMARY KEY,
        at      TEXT NOT NULL,
        actor   TEXT NOT NULL,
        origin  TEXT NOT NULL,
        action  TEXT NOT NULL,
        target  TEXT NOT NULL,
        before  TEXT,
        after   TEXT
      );
      INSERT INTO meta (name, value) VALUES ('revision', '0');
    `,
  },
  {
    version: 2,
    name: 'sites and bindings',
    sql: `
      CREATE TABLE sites (
        name           TEXT    PRIMARY KEY,
        state          TEXT    NOT NULL,
        kind           TEXT    NOT NULL,
        target         TEXT    NOT NULL,
        https_redirect INTEGER NOT NULL,
        hsts           INTEGER NOT NULL,
        log_format     TEXT    NOT NULL,
        created        TEXT    NOT NULL
      );
      CREATE TABLE bindings (
        protocol    TEXT    NOT NULL,
        ip          TEXT    NOT NULL,
        port        INTEGER NOT NULL,
        host        TEXT    NOT NULL,
        site        TEXT    NOT NULL REFERENCES sites (name) ON DELETE CASCADE,
        sni         INTEGER NOT NULL,
        certificate TEXT    REFERENCES certificates (thumbprint),
        PRIMARY KEY (protocol, ip, port, host)
      );
      CREATE INDEX bindings_site ON bindings (site);
      CREATE INDEX bindings_certificate ON bindings (certificate);
      CREATE TABLE service_assignments (
        service     TEXT PRIMARY KEY,
        certificate TEXT NOT NULL REFERENCES certificates (thumbprint)
      );
    `,
  },
  {
    version: 3,
    name: 'users, API tokens, and where each change came from',
    sql: `
      CREATE TABLE users (
        name          TEXT PRIMARY KEY,
        role          TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        created       TEXT NOT NULL,
        updated       TEXT NOT NULL
      );
      CREATE TABLE api_tokens (
        id          TEXT PRIMARY KEY,
        user        TEXT NOT NULL REFERENCES users (name) ON DELETE CASCADE,
        hash        TEXT NOT NULL UNIQUE,
        description TEXT NOT NULL,
        created     TEXT NOT NULL,
        expires     TEXT,
        last_used   TEXT
      );
      CREATE INDEX api_tokens_user ON api_tokens (user);
      ALTER TABLE audit ADD COLUMN source TEXT NOT NULL DEFAULT '';
      CREATE INDEX audit_at ON audit (at);
    `,
  },
  {
    version: 4,
    name: 'mail listeners',
    sql: `
      CREATE TABLE mail_listeners (
        ip             TEXT    NOT NULL,
        port           INTEGER NOT NULL,
        service        TEXT    NOT NULL,
        mode           TEXT    NOT NULL,
        require_tls    INTEGER NOT NULL,
        backend_host   TEXT    NOT NULL,
        backend_port   INTEGER NOT NULL,
        client_address TEXT    NOT NULL,
        host_name      TEXT    NOT NULL,
        max_connections INTEGER NOT NULL,
        idle_timeout   INTEGER NOT NULL,
        created        TEXT    NOT NULL,
        PRIMARY KEY (ip, port)
      );
    `,
  },
  {
    version: 5,
    name: 'friendly names on pending requests; request ids never reused',
    sql: `
      ALTER TABLE requests ADD COLUMN friendly_name TEXT;
      INSERT INTO meta (name, value) SELECT 'last_request_id', CAST(COALESCE(MAX(id), 0) AS TEXT) FROM requests;
    `,
  },
  {
    version: 6,
    name: 'serving processes and the revision each serves',
    sql: `
      CREATE TABLE serving_processes (
        id        TEXT    PRIMARY KEY,
        host      TEXT    NOT NULL,
        pid       INTEGER NOT NULL,
        role      TEXT    NOT NULL,
        revision  INTEGER NOT NULL,
        started   TEXT    NOT NULL,
        seen      TEXT    NOT NULL,
        listeners TEXT    NOT NULL DEFAULT '[]'
      );
    `,
  },
  {
    version: 7,
    name: 'OCSP staples',
    sql: `
      CREATE TABLE ocsp_staples (
        thumbprint  TEXT PRIMARY KEY REFERENCES certificates (thumbprint) ON DELETE CASCADE,
        url         TEXT NOT NULL,
        status      TEXT,
        this_update TEXT,
        next_update TEXT,
        fetched     TEXT,
        attempted   TEXT NOT NULL,
        failures    INTEGER NOT NULL DEFAULT 0,
        last_error  TEXT,
        response    BLOB
      );
    `,
  },
  {
    version: 8,
    name: 'notification targets and the expiry notices sent',
    sql: `
      CREATE TABLE notify_targets (
        name          TEXT PRIMARY KEY,
        kind          TEXT NOT NULL,
        settings      TEXT NOT NULL,
        created       TEXT NOT NULL,
        last_sent     TEXT,
        last_error    TEXT,
        last_error_at TEXT,
        secret        BLOB
      );
      CREATE TABLE notify_expiry_sent (
        thumbprint TEXT PRIMARY KEY,
        sent       TEXT NOT NULL
      );
    `,
  },
  {
    version: 9,
    name: 'renewals: a request that renews a certificate, every renewal transaction with its moves and outcome, and the lease of the one renewing process',
    sql: `
      ALTER TABLE requests ADD COLUMN renews TEXT;
      CREATE TABLE renewals (
        id       INTEGER PRIMARY KEY,
        old      TEXT    NOT NULL,
        new      TEXT,
        source   TEXT    NOT NULL,
        started  TEXT    NOT NULL,
        finished TEXT,
        outcome  TEXT,
        detail   TEXT    NOT NULL DEFAULT '',
        moves    TEXT    NOT NULL DEFAULT '[]',
        probes   TEXT
      );
      CREATE INDEX renewals_old ON renewals (old);
      CREATE INDEX renewals_new ON renewals (new);
      CREATE TABLE leases (
        name    TEXT PRIMARY KEY,
        holder  TEXT NOT NULL,
        expires TEXT NOT NULL
      );
    `,
  },
  {
    version: 10,
    name: 'ACME accounts and pending ACME challenges',
    sql: `
      CREATE TABLE acme_accounts (
        name          TEXT    PRIMARY KEY,
        directory     TEXT    NOT NULL,
        email         TEXT    NOT NULL,
        account_url   TEXT    NOT NULL,
        key_id        INTEGER NOT NULL REFERENCES private_keys (id),
        directory_ca  TEXT,
        eab_kid       TEXT,
        status        TEXT    NOT NULL,
        created       TEXT    NOT NULL
      );
      CREATE TABLE acme_challenges (
        id            INTEGER PRIMARY KEY AUTOINCREMENT,
        type          TEXT    NOT NULL,
        name          TEXT    NOT NULL,
        token         TEXT    NOT NULL,
        key_authorization TEXT NOT NULL,
        expires       TEXT    NOT NULL,
        cert_der      BLOB,
        key_id        INTEGER REFERENCES private_keys (id)
      );
      CREATE INDEX acme_challenges_token ON acme_challenges (token);
      CREATE TABLE acme_orders (
        account       TEXT    NOT NULL,
        names         TEXT    NOT NULL,
        at            TEXT    NOT NULL,
        outcome       TEXT    NOT NULL
      );
      CREATE INDEX acme_orders_names ON acme_orders (names, at);
    `,
  },
  {
    version: 11,
    name: 'ACME accounts: a default DNS-01 provider',
    sql: `
      ALTER TABLE acme_accounts ADD COLUMN dns_provider TEXT;
    `,
  },
  {
    version: 12,
    name: 'where an ACME certificate came from (its account and challenge) and when it renews (the CA\'s ARI window or the lifetime rule)',
    sql: `
      CREATE TABLE certificate_sources (
        thumbprint      TEXT PRIMARY KEY REFERENCES certificates (thumbprint) ON DELETE CASCADE,
        source          TEXT NOT NULL,
        challenge       TEXT NOT NULL,
        ari_id          TEXT,
        window_start    TEXT,
        window_end      TEXT,
        ari_checked     TEXT,
        ari_retry_after TEXT,
        ari_error       TEXT,
        renew_at        TEXT,
        renew_why       TEXT
      );
      CREATE INDEX certificate_sources_source ON certificate_sources (source);
    `,
  },
  {
    version: 13,
    name: 'farm state: console sessions and failed log-ins in the store, the renewal lease\'s fencing token, the nodes (serve supervisors) and the node of each serving process',
    sql: `
      CREATE TABLE console_sessions (
        id_hash      TEXT   PRIMARY KEY,
        user_name    TEXT   NOT NULL,
        user_updated TEXT   NOT NULL,
        csrf_token   TEXT   NOT NULL,
        created      BIGINT NOT NULL,
        last_seen    BIGINT NOT NULL
      );
      CREATE INDEX console_sessions_user ON console_sessions (user_name);
      CREATE INDEX console_sessions_last_seen ON console_sessions (last_seen);
      CREATE TABLE login_failures (
        id   TEXT   PRIMARY KEY,
        key  TEXT   NOT NULL,
        at   BIGINT NOT NULL
      );
      CREATE INDEX login_failures_key ON login_failures (key, at);
      CREATE INDEX login_failures_at ON login_failures (at);
      ALTER TABLE leases ADD COLUMN token INTEGER NOT NULL DEFAULT 0;
      CREATE TABLE farm_nodes (
        id       TEXT    PRIMARY KEY,
        host     TEXT    NOT NULL,
        pid      INTEGER NOT NULL,
        version  TEXT    NOT NULL,
        admin    TEXT,
        started  TEXT    NOT NULL,
        seen     TEXT    NOT NULL,
        stopped  TEXT
      );
      ALTER TABLE serving_processes ADD COLUMN node TEXT;
    `,
  },
  {
    version: 14,
    name: 'the change log: what each revision changed (kind and key), so a serving process reads only the rows changed since the revision it serves',
    sql: `
      CREATE TABLE change_log (
        revision  INTEGER NOT NULL,
        kind      TEXT    NOT NULL,
        key       TEXT    NOT NULL
      );
      CREATE INDEX change_log_revision ON change_log (revision);
    `,
  },
  {
    version: 15,
    name: 'bindings by port and host name, and by port, protocol and SNI: a change to one of 100,000 bindings is planned against the few it can meet',
    sql: `
      CREATE INDEX bindings_port_host ON bindings (port, host);
      CREATE INDEX bindings_port_sni ON bindings (port, protocol, sni);
    `,
  },
];
