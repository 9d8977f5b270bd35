# gen2.py SEED COUNT: addresses with random code points up to U+1FFFF in the local part or the domain, hex-encoded.
import random, sys, unicodedata
random.seed(int(sys.argv[1])); n = int(sys.argv[2])
def rc():
    while True:
        r = random.random()
        if r < 0.3: c = random.randint(0x80, 0x2FFF)
        elif r < 0.6: c = random.randint(0x3000, 0xFFFF)
        elif r < 0.8: c = random.randint(0x10000, 0x1FFFF)
        else: c = random.choice([0x2d, 0x2e, 0x61, 0x7a, 0x30, 0x5f, 0x41])
        if 0xD800 <= c <= 0xDFFF: continue
        return chr(c)
def part(lo, hi): return ''.join(rc() for _ in range(random.randint(lo, hi)))
for _ in range(n):
    r = random.random()
    if r < 0.5: s = part(1, 5) + '@example.com'
    else: s = 'a@' + part(1, 5) + random.choice(['.com', '.' + part(1, 2)])
    print(s.encode('utf-8').hex())
