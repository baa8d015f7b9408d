# gcc: compile and run a C program that uses pthreads.
command -v gcc >/dev/null || { echo "no gcc"; exit 0; }
d=$(mktemp -d)
cat > "$d/p.c" <<'C'
#include <pthread.h>
#include <stdio.h>
static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static long total;
static void *work(void *arg) {
    for (long i = 0; i < 100000; i++) { pthread_mutex_lock(&m); total += (long)arg; pthread_mutex_unlock(&m); }
    return 0;
}
int main(void) {
    pthread_t t[4];
    for (long i = 0; i < 4; i++) pthread_create(&t[i], 0, work, (void *)(i + 1));
    for (int i = 0; i < 4; i++) pthread_join(t[i], 0);
    printf("total %ld\n", total);
    return 0;
}
C
gcc -O1 -pthread -o "$d/p" "$d/p.c" && "$d/p"
echo "gcc exit $?"
rm -rf "$d"
