# util-linux script(1): runs a shell on a new pseudo-terminal (openpty, login_tty,
# controlling terminal) and copies its output: tty, the full stty -a termios listing,
# a canonical-mode read from the terminal, and the exit status.
command -v script >/dev/null || { echo "no script"; exit 0; }
script -qec 'echo hi; tty; stty -a; stty raw -echo; stty -a | sed -n 4,9p; exit 3' /dev/null </dev/null |
    sed 's#/dev/pts/[0-9]*#/dev/pts/N#'
echo "status $?"
printf 'typed line\n' | script -qec 'read x; echo "got [$x]"' /dev/null | sed 's#/dev/pts/[0-9]*#/dev/pts/N#' | od -c
