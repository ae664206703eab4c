assert separate_odd_and_even([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]) == ([1, 3, 5, 7, 9], [2, 4, 6, 8, 10])
assert separate_odd_and_even([2, 4]) == ([], [2, 4])
assert separate_odd_and_even([]) == ([], [])
