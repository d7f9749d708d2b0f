#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static const char	*log_name = "anlasser";
static int		 log_dest = LOG_TO_STDERR;
static int		 log_debug_level;
static char		*log_path;
static FILE		*log_fp;
static void		(*log_fatal_hook)(void);

/*
 * Set up logging: dest is LOG_TO_STDERR, LOG_TO_SYSLOG or LOG_TO_FILE (path
 * names the file).  May be called again to change the destination.
 */
void
log_init(const char *name, int dest, const char *path, int debug)
{
	log_name = name;
	log_dest = dest;
	log_debug_level = debug;
	free(log_path);
	log_path = path != NULL ? strdup(path) : NULL;
	if (dest == LOG_TO_SYSLOG)
		openlog(name, LOG_PID | LOG_NDELAY, LOG_DAEMON);
	log_reopen();
}

/* Reopen the log file (after rotation: SIGHUP). */
void
log_reopen(void)
{
	int	fd;

	if (log_dest != LOG_TO_FILE || log_path == NULL)
		return;
	if (log_fp != NULL)
		fclose(log_fp);
	log_fp = NULL;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd != -1 && (log_fp = fdopen(fd, "a")) == NULL)
		close(fd);
	if (log_fp != NULL)
		setvbuf(log_fp, NULL, _IOLBF, 0);
}

void
log_setdebug(int level)
{
	log_debug_level = level;
}

int
log_getdebug(void)
{
	return (log_debug_level);
}

/* Called before a fatal message is written (the TUI restores the tty). */
void
log_set_fatal_hook(void (*hook)(void))
{
	log_fatal_hook = hook;
}

static void
log_vwrite(int pri, const char *fmt, va_list ap, int with_errno)
{
	char		 msg[2048];
	char		 stamp[32];
	int		 saved = errno;
	FILE		*fp;
	time_t		 now;
	struct tm	 tm;

	vsnprintf(msg, sizeof msg, fmt, ap);
	if (with_errno) {
		size_t	len = strlen(msg);

		snprintf(msg + len, sizeof msg - len, ": %s", strerror(saved));
	}
	if (log_dest == LOG_TO_SYSLOG) {
		syslog(pri, "%s", msg);
		errno = saved;
		return;
	}
	fp = (log_dest == LOG_TO_FILE && log_fp != NULL) ? log_fp : stderr;
	if (log_dest == LOG_TO_FILE) {
		now = time(NULL);
		localtime_r(&now, &tm);
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		fprintf(fp, "%s %s[%ld]: %s\n", stamp, log_name,
		    (long)getpid(), msg);
	} else
		fprintf(fp, "%s: %s\n", log_name, msg);
	fflush(fp);
	errno = saved;
}

void
log_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, 1);
	va_end(ap);
}

void
log_warnx(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_WARNING, fmt, ap, 0);
	va_end(ap);
}

void
log_info(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	log_vwrite(LOG_INFO, fmt, ap, 0);
	va_end(ap);
}

void
log_debug(const char *fmt, ...)
{
	va_list	ap;

	if (log_debug_level == 0)
		return;
	va_start(ap, fmt);
	log_vwrite(LOG_DEBUG, fmt, ap, 0);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list	ap;

	if (log_fatal_hook != NULL)
		log_fatal_hook();
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 1);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list	ap;

	if (log_fatal_hook != NULL)
		log_fatal_hook();
	va_start(ap, fmt);
	log_vwrite(LOG_CRIT, fmt, ap, 0);
	va_end(ap);
	exit(1);
}
