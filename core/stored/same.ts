// Compile-time equality of two types, for the checks that a stored shape's zod schema and the type the pure code
// uses (which cannot import zod: workflows load it) are one type.
/** true when A and B are the same type (each assignable to the other). */
export type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
