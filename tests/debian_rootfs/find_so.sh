# find over /usr: shared objects.
find /usr -name '*.so*' | wc -l
find /usr -type d | wc -l
