-- BulkQuote's first released schema (version 1), as that release created it.
-- Upgrade tests build a v1 database from this and let make_engine carry it forward.
CREATE TABLE batch_job (
	id INTEGER NOT NULL, 
	source_name VARCHAR(500) NOT NULL, 
	columns JSON NOT NULL, 
	mapping JSON NOT NULL, 
	bandwidth_mbps INTEGER NOT NULL, 
	term_months INTEGER NOT NULL, 
	product VARCHAR(20) NOT NULL, 
	company VARCHAR(300) NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	status_message TEXT NOT NULL, 
	total INTEGER NOT NULL, 
	created_at DATETIME NOT NULL, 
	started_at DATETIME, 
	finished_at DATETIME, 
	PRIMARY KEY (id)
);
CREATE INDEX ix_batch_job_status ON batch_job (status);
CREATE TABLE lead (
	id INTEGER NOT NULL, 
	company VARCHAR(300) NOT NULL, 
	contact_name VARCHAR(300) NOT NULL, 
	email VARCHAR(300) NOT NULL, 
	phone VARCHAR(100) NOT NULL, 
	PRIMARY KEY (id)
);
CREATE TABLE quote (
	id INTEGER NOT NULL, 
	lead_id INTEGER NOT NULL, 
	street VARCHAR(300) NOT NULL, 
	unit VARCHAR(100) NOT NULL, 
	city VARCHAR(200) NOT NULL, 
	state VARCHAR(2) NOT NULL, 
	postal_code VARCHAR(10) NOT NULL, 
	product VARCHAR(20) NOT NULL, 
	bandwidth_mbps INTEGER NOT NULL, 
	term_months INTEGER NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	carrier VARCHAR(200), 
	mrc VARCHAR(32), 
	nrc VARCHAR(32), 
	currency VARCHAR(3), 
	install_days INTEGER, 
	access VARCHAR(20), 
	is_estimate BOOLEAN, 
	valid_until DATE, 
	PRIMARY KEY (id), 
	FOREIGN KEY(lead_id) REFERENCES lead (id)
);
CREATE TABLE batch_quote (
	id INTEGER NOT NULL, 
	batch_id INTEGER NOT NULL, 
	quote_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	row_number INTEGER NOT NULL, 
	site_id VARCHAR(200) NOT NULL, 
	original JSON NOT NULL, 
	status VARCHAR(20) NOT NULL, 
	idempotency_key VARCHAR(64) NOT NULL, 
	remote_id VARCHAR(100), 
	attempts INTEGER NOT NULL, 
	error_code VARCHAR(100), 
	error_message TEXT, 
	submitted_at DATETIME, 
	finished_at DATETIME, 
	PRIMARY KEY (id), 
	FOREIGN KEY(batch_id) REFERENCES batch_job (id) ON DELETE CASCADE, 
	FOREIGN KEY(quote_id) REFERENCES quote (id), 
	UNIQUE (idempotency_key)
);
CREATE INDEX ix_batch_quote_batch_status ON batch_quote (batch_id, status);
CREATE INDEX ix_batch_quote_remote_id ON batch_quote (remote_id);
CREATE TABLE quote_option (
	id INTEGER NOT NULL, 
	quote_id INTEGER NOT NULL, 
	position INTEGER NOT NULL, 
	recommended BOOLEAN NOT NULL, 
	carrier VARCHAR(200) NOT NULL, 
	product VARCHAR(20) NOT NULL, 
	bandwidth_mbps INTEGER NOT NULL, 
	term_months INTEGER NOT NULL, 
	mrc VARCHAR(32) NOT NULL, 
	nrc VARCHAR(32) NOT NULL, 
	currency VARCHAR(3) NOT NULL, 
	install_days INTEGER, 
	access VARCHAR(20), 
	is_estimate BOOLEAN, 
	PRIMARY KEY (id), 
	FOREIGN KEY(quote_id) REFERENCES quote (id) ON DELETE CASCADE
);
CREATE INDEX ix_quote_option_quote_id ON quote_option (quote_id);
CREATE TABLE schema_version (version INTEGER NOT NULL);
INSERT INTO schema_version (version) VALUES (1);
