export DATABASE_URL=postgres://postgres@127.0.0.1:5432/cep_undo_job CEP_FORBID_SKIPS=1
