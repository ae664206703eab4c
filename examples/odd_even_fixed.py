def separate_odd_and_even(lst):
    odd_list = []
    even_list = []
    for n in lst:
        if n % 2:
            odd_list.append(n)
        else:
            even_list.append(n)
    return odd_list, even_list
