/**
 * Argument bounds as class-validator decorators, declared once on the ArgsType/InputType classes
 * and checked before any resolver (and so any SQL) runs. Messages say what to change.
 */
import { ArrayMaxSize, ArrayNotEmpty, ValidateBy, type ValidationOptions } from 'class-validator';

/** A confidence level γ: strictly between 0 and 1, with (1 + γ)/2 < 1 in floating point. */
export function IsConfidence(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isConfidence',
      validator: {
        // (1 + γ)/2 must stay below 1 in floating point, or the t quantile is infinite.
        validate: (c: unknown) => typeof c === 'number' && c > 0 && c < 1 && (1 + c) / 2 < 1,
        defaultMessage: (a) =>
          `${a?.property ?? 'confidence'} must lie strictly between 0 and 1, got ${String(a?.value)}; use e.g. 0.95 for 95% intervals`,
      },
    },
    options,
  );
}

/** An EMA weight α in (0, 1]. */
export function IsEmaWeight(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isEmaWeight',
      validator: {
        validate: (a: unknown) => typeof a === 'number' && a > 0 && a <= 1,
        defaultMessage: (a) => `${a?.property ?? 'alpha'} must lie in (0, 1] (1 = no smoothing), got ${String(a?.value)}`,
      },
    },
    options,
  );
}

/**
 * A list argument that, when given, holds 1 to `max` values: an empty list would select nothing
 * (leaving the argument out is how to ask for everything).
 */
export function BoundedList(max: number, hint = ''): PropertyDecorator {
  // class-validator substitutes $property; the error formatter prefixes the argument path.
  const notEmpty = ArrayNotEmpty({ message: '$property is an empty list, which selects nothing; leave it out to mean all' });
  const maxSize = ArrayMaxSize(max, { message: `$property takes at most ${max} values${hint ? `; ${hint}` : ''}` });
  return (target, key) => {
    notEmpty(target, key);
    maxSize(target, key);
  };
}
