"""Receipt printer hardware: the only package that imports python-escpos (and pyusb through it)."""
