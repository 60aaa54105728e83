"""datajobs: classify data-job profiles (Data scientist, Lead data scientist, Data engineer,
Data architecte) from experience, technologies, diploma, city and company."""

__version__ = "0.1.0"
