/**
 * Our three worked examples for untuned models: bugs we wrote into MBPP prompt-split problems (3, 9
 * and 8), traced by our own tracer at run time with the run's renderer. Each rationale walks through
 * the trace, compares actual and expected values, locates the bug and states the fix.
 */
export interface Exemplar {
  id: string;
  description: string;
  buggyProgram: string;
  tests: readonly string[];
  /** Index of the failing test that is traced. */
  failingTest: number;
  /** The rationale when the inline trace is shown (it cites step numbers) ... */
  rationaleWithSteps: string;
  /** ... and without step numbers, for the trace-free and scratchpad/LDB prompts. */
  rationale: string;
  fixedProgram: string;
  /** Pieces of the inline trace the step-citing rationale relies on (a test checks they are there). */
  cites: readonly string[];
}

export const EXEMPLARS: readonly Exemplar[] = [
  {
    id: 'MBPP/3',
    description: 'Write a python function to identify non-prime numbers.',
    buggyProgram:
      'import math\ndef is_not_prime(n):\n    result = False\n    for i in range(2, int(math.sqrt(n))):\n        if n % i == 0:\n            result = True\n    return result\n',
    tests: ['assert is_not_prime(2) == False', 'assert is_not_prime(10) == True', 'assert is_not_prime(35) == True'],
    failingTest: 2,
    rationaleWithSteps:
      'The failing test calls is_not_prime(35) and expects True, because 35 = 5 * 7 is not prime. ' +
      'In the trace, result starts as False at step (1), and the loop gives i the values 2, 3 and 4 at steps (2) to (4), then stops. ' +
      'None of 2, 3 and 4 divides 35, so result is never set to True and the function returns False at step (5). ' +
      'The divisor 5 is never tried: int(math.sqrt(35)) is 5, and range(2, 5) stops before its upper bound. ' +
      'The loop must include the integer square root, so the range should be range(2, int(math.sqrt(n)) + 1).',
    rationale:
      'The failing test calls is_not_prime(35) and expects True, because 35 = 5 * 7 is not prime. ' +
      'The loop tries i = 2, 3 and 4 and stops; none of them divides 35, so result stays False and the function returns False. ' +
      'The divisor 5 is never tried: int(math.sqrt(35)) is 5, and range(2, 5) stops before its upper bound. ' +
      'The loop must include the integer square root, so the range should be range(2, int(math.sqrt(n)) + 1).',
    fixedProgram:
      'import math\ndef is_not_prime(n):\n    result = False\n    for i in range(2, int(math.sqrt(n)) + 1):\n        if n % i == 0:\n            result = True\n    return result\n',
    cites: ['(1) result=False;', '(2) i=2; (3) i=3; (4) i=4;', '(5) __return__=False;'],
  },
  {
    id: 'MBPP/9',
    description: 'Write a python function to find the minimum number of rotations required to get the same string.',
    buggyProgram:
      'def find_Rotations(str):\n    tmp = str + str\n    n = len(str)\n    for i in range(1, n + 1):\n        substring = tmp[i: i + n - 1]\n        if (str == substring):\n            return i\n    return n\n',
    tests: [
      'assert find_Rotations("aaaa") == 1',
      'assert find_Rotations("ab") == 2',
      'assert find_Rotations("abc") == 3',
    ],
    failingTest: 0,
    rationaleWithSteps:
      'The test expects find_Rotations("aaaa") to be 1: rotating "aaaa" by one character gives "aaaa" again. ' +
      "The trace shows tmp='aaaaaaaa' at step (1) and n=4 at step (2). In the first iteration, i=1, the slice gives substring='aaa' at step (4): " +
      'three characters, so it can never equal the four-character str. ' +
      'The loop runs on through i=4 without returning, and the function falls back to return n, which gives 4 at step (8) instead of 1. ' +
      'A rotation of str has n characters, so the slice must be tmp[i: i + n].',
    rationale:
      'The test expects find_Rotations("aaaa") to be 1: rotating "aaaa" by one character gives "aaaa" again. ' +
      "Here tmp is 'aaaaaaaa' and n is 4, but the slice tmp[i: i + n - 1] has only n - 1 = 3 characters, so substring is 'aaa' and never equals str. " +
      'The loop ends without returning and the function returns n = 4 instead of 1. ' +
      'A rotation of str has n characters, so the slice must be tmp[i: i + n].',
    fixedProgram:
      'def find_Rotations(str):\n    tmp = str + str\n    n = len(str)\n    for i in range(1, n + 1):\n        substring = tmp[i: i + n]\n        if (str == substring):\n            return i\n    return n\n',
    cites: ["(1) tmp='aaaaaaaa';", '(2) n=4;', "(4) substring='aaa';", '(8) __return__=4;'],
  },
  {
    id: 'MBPP/8',
    description: 'Write a function to find squares of individual elements in a list using lambda function.',
    buggyProgram:
      'def square_nums(nums):\n    square_nums = list(map(lambda x: x * 2, nums))\n    return square_nums\n',
    tests: [
      'assert square_nums([1, 2, 3, 4, 5, 6, 7, 8, 9, 10])==[1, 4, 9, 16, 25, 36, 49, 64, 81, 100]',
      'assert square_nums([10,20,30])==([100,400,900])',
      'assert square_nums([12,15])==([144,225])',
    ],
    failingTest: 0,
    rationaleWithSteps:
      'The test expects the squares of 1 to 10. Inside the lambda, x=1 at step (1) gives __return__=2 at step (2), and x=2 gives 4: ' +
      'the final list at step (21) is square_nums=[2, 4, 6, 8, 10, 12, 14, 16, 18, 20]. Every element was doubled, not squared. ' +
      'The lambda computes x * 2 where it should compute x ** 2; with x ** 2 the list becomes [1, 4, 9, ..., 100] as the test expects.',
    rationale:
      'The test expects the squares of 1 to 10, but the function returns [2, 4, 6, 8, 10, 12, 14, 16, 18, 20]: every element was doubled, not squared. ' +
      'The lambda computes x * 2 where it should compute x ** 2; with x ** 2 the list becomes [1, 4, 9, ..., 100] as the test expects.',
    fixedProgram:
      'def square_nums(nums):\n    square_nums = list(map(lambda x: x ** 2, nums))\n    return square_nums\n',
    cites: ['(1) x=1; (2) __return__=2;', '(21) square_nums=[2, 4, 6, 8, 10, 12, 14, 16, 18, 20];'],
  },
];
