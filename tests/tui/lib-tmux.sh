# Helpers for the full-screen tests: anlasser-tui inside a private tmux
# server (own TMUX_TMPDIR and -L name), driven with send-keys and read
# with capture-pane.  Source after tests/lib.sh and lib_init.
#
#   tui_start [W H [VAR=value...]]  run the TUI in a W x H window (100x30)
#   keys KEY...                     tmux send-keys
#   screen                          the window's text now
#   screen_esc                      ... with colour escapes
#   row NAME                        the list row of the VM NAME
#   wait_screen SECS TEXT           until the screen holds TEXT; 0/1
#   wait_gone SECS TEXT             until it does not any more; 0/1
#   tui_exited                      the TUI has exited (EXITED= line)
#   stty_sane                       the terminal is back in cooked mode

if ! command -v tmux >/dev/null 2>&1; then
	echo "Bail out! tmux is not installed (Debian: apt-get install tmux)"
	exit 99
fi
export TMUX_TMPDIR="$T/tmux"
mkdir -p "$TMUX_TMPDIR"
TM_NAME="anl-tui-$$"
TUI=$(cd "$(dirname "$TUI")" && pwd)/anlasser-tui

tm() {
	tmux -L "$TM_NAME" -f /dev/null "$@"
}

tm_cleanup() {
	tm kill-server 2>/dev/null
	lib_cleanup
}
trap tm_cleanup EXIT

# The command in the window: the TUI, then its exit status and the
# terminal's settings after it, then a pause so the pane stays readable.
tui_start() {
	local w=${1:-100} h=${2:-30}
	shift 2 2>/dev/null
	tm new-session -d -s T -x "$w" -y "$h" \
	    "env LANG=C.UTF-8 ESCDELAY=25 ANLASSER_SOCKET='$SOCK' $* '$TUI'; \
	    echo EXITED=\$?; stty -a > '$T/stty.after'; sleep 600"
	tm set -sg escape-time 0
}

keys() {
	tm send-keys -t T "$@"
}

screen() {
	tm capture-pane -p -t T
}

screen_esc() {
	tm capture-pane -p -e -t T
}

row() {
	screen | grep "^$1 "
}

wait_screen() {
	local secs=$1 text=$2 end
	end=$(( $(date +%s) + secs ))
	while :; do
		case "$(screen)" in
		*"$text"*) return 0 ;;
		esac
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

wait_gone() {
	local secs=$1 text=$2 end
	end=$(( $(date +%s) + secs ))
	while :; do
		case "$(screen)" in
		*"$text"*) ;;
		*) return 0 ;;
		esac
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# wait_row SECS NAME TEXT: until the VM's row holds TEXT.
wait_row() {
	local secs=$1 name=$2 text=$3 end
	end=$(( $(date +%s) + secs ))
	while :; do
		case "$(row "$name")" in
		*"$text"*) return 0 ;;
		esac
		[ "$(date +%s)" -ge "$end" ] && return 1
		sleep 0.1
	done
}

# stty_sane: after the TUI, is the terminal in its usual mode again?
stty_sane() {
	local w
	wait_for 5 test -s "$T/stty.after" || return 1
	for w in icanon echo isig icrnl opost; do
		grep -Eq "(^| )$w( |\$)" "$T/stty.after" || return 1
	done
	return 0
}

tui_exited() {
	wait_screen 5 "EXITED="
}
