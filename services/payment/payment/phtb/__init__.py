"""PPh final on the transfer of land and buildings (PP 34/2016) and the validation of its payment."""
