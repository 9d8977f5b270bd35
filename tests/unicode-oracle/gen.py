# gen.py SEED COUNT: addresses built from a pool of hard code points (accents, combining marks, compatibility and
# fullwidth forms, ligatures, RTL letters and digits, joiners, CONTEXTO characters), one hex-encoded UTF-8 per line.
import random, sys
random.seed(int(sys.argv[1])); n = int(sys.argv[2])
pool = list("abcxyzABZ09.-_+") + ['\u00e9','e\u0301','\u00fc','u\u0308','\u00df','\u03c2','\u03a3','\u0130','\u212b','\u2126','\ufb01','\ufb2c',
 '\u0301','\u0308','\u0338','<','\u200d','\u200c','\u00ad','\u3002','\uff0e','\uff61','\uff21','\uff41','\u2488','\u2024','\u037e','\u1fef',
 '\u4e2d','\u6587','\u05d0','\u05d1','\u0627','\u0661','\u06f1','\u0660','\u00b7','l','\u0375','\u03b1','\u30fb','\u30a2','\u3042','\u1100','\u1161','\u11a8',
 '\u210c','\u3371','\u2474','\u2160','\u00bd','\u00aa','\u1e9e','\u1d400','\U0001d400','\U0001f600','\u2ff0','\ufe12','\ufffd','\u0640','\u3031','\u302e',
 '\u0345','\u0399','\u1f88','\u0f0b','\u06fd','\u3007','\u0e33','\u0eb3','\u0f77','\u0e01','\u0915','\u093c','\u0958','\u094d','\u200b','\u2060','\ufe0f','\u034f',
 '\u0131','\u0149','\u01c4','\u01c5','\u1e9b','\u00b5','\u017f','\u02b0','\u0300','\u20dd','\u1d16e','\U0001d16e','\u0485','\u3099','\u309b','\u0d4e','\u2132','\u214e',
 '\u24b6','\u24d0','\u33a1','\uffe0','\u2100','\u2121','\u2122','\u00a8','\u02dc','\u0587','\u1e96','\u0e40','\u17b4','\u115f','\u3164','\uffa0','\u180b']
def rnd(lo, hi):
    return ''.join(random.choice(pool) for _ in range(random.randint(lo, hi)))
doms = ['example.com','b\u00fccher.de','xn--bcher-kva.de','\u4e2d\u6587.com','xn--nxasmq6b.com','x.\u0645\u062b\u0627\u0644','\u05d0\u05d1.com','example.tld']
for _ in range(n):
    r = random.random()
    if r < 0.4:
        s = rnd(1, 8) + '@' + random.choice(doms)
    elif r < 0.8:
        s = 'user@' + rnd(1, 8) + '.' + random.choice(['com', 'de', rnd(1,3)])
    else:
        s = rnd(1, 6) + '@' + rnd(1, 6) + '.' + random.choice(['com', rnd(1, 3)])
    print(s.encode('utf-8').hex())
