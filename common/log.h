/*
 * Logging in the style of OpenBSD's daemons: log_warn adds strerror(errno),
 * log_warnx does not; fatal/fatalx log and exit(1).  Messages about a VM
 * start with its name.
 */
#ifndef LOG_H
#define LOG_H

#include <stdarg.h>

#define LOG_TO_STDERR	0
#define LOG_TO_SYSLOG	1
#define LOG_TO_FILE	2

void	log_init(const char *, int, const char *, int);
void	log_reopen(void);
void	log_setdebug(int);
int	log_getdebug(void);
void	log_set_fatal_hook(void (*)(void));
void	log_warn(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_warnx(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_info(const char *, ...) __attribute__((format(printf, 1, 2)));
void	log_debug(const char *, ...) __attribute__((format(printf, 1, 2)));
void	fatal(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));
void	fatalx(const char *, ...)
	    __attribute__((format(printf, 1, 2), noreturn));

#endif
