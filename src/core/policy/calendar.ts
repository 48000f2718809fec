// UTC calendar arithmetic in plain integers (src/core reads no clock and must not depend on the
// host's time zone database). The yearly thresholds count per UTC calendar year.

const SECONDS_PER_DAY = 86_400;

/**
 * The UTC year of a time in seconds since the Unix epoch, by Howard Hinnant's `civil_from_days`
 * (http://howardhinnant.github.io/date_algorithms.html): shift the epoch to 0000-03-01 so leap
 * days fall at the end of a year, split into 400-year eras of 146 097 days, then into years.
 */
export function utcYearOfSeconds(seconds: number): number {
  const days = Math.floor(seconds / SECONDS_PER_DAY);
  const shifted = days + 719_468; // days from 0000-03-01 to 1970-01-01
  const era = Math.floor(shifted / 146_097);
  const dayOfEra = shifted - era * 146_097;
  const yearOfEra = Math.floor(
    (dayOfEra -
      Math.floor(dayOfEra / 1460) +
      Math.floor(dayOfEra / 36_524) -
      Math.floor(dayOfEra / 146_096)) /
      365,
  );
  const dayOfYear = dayOfEra - (365 * yearOfEra + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100));
  const shiftedMonth = Math.floor((5 * dayOfYear + 2) / 153); // 0 = March ... 11 = February
  const year = yearOfEra + era * 400;
  return shiftedMonth >= 10 ? year + 1 : year; // January and February belong to the next year
}
