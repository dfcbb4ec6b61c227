"""The Amazon MWS connector: Orders 2013-09-01 and Sellers 2011-07-01 over signed POSTs."""
