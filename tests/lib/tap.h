/*
 * tap.h - Test Anything Protocol output for Automake's tap-driver.sh.
 */
#ifndef FB_TAP_H
#define FB_TAP_H

#include <stdarg.h>

void tap_plan(int n);
void tap_plan_skip(const char *why, ...)
    __attribute__((format(printf, 1, 2), noreturn));
int tap_ok(int cond, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void tap_skip(const char *why, ...) __attribute__((format(printf, 1, 2)));
void tap_diag(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int tap_done(void);		/* exit status for main */

#define ok(cond, ...) tap_ok(!!(cond), __VA_ARGS__)

#endif
