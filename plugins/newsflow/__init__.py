"""newsflow: news ingestion library."""
