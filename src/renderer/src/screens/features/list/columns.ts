/** Height of one row of the feature list, in pixels. */
export const ROW_HEIGHT = 44;
// Whole class names (Tailwind only sees literal strings): with and without a score column.
export const COLS_SCORE = 'grid-cols-[4.5rem_1fr_11rem_4.5rem_5rem_4rem_6.5rem]';
export const COLS_PLAIN = 'grid-cols-[4.5rem_1fr_11rem_5rem_4rem_6.5rem]';
