"""Treatment pages, one module per page group: ``patient`` (overview and screening), ``courses``,
``orders``, ``booking``, ``consent``, ``protocol``, ``portal``."""
