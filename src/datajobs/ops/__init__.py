"""Operations wing: batch scoring (here and on Dask), monitoring and experiment tracking."""
