import re,collections,sys
txt=open(sys.argv[1]).read()
root=sys.argv[2] if len(sys.argv)>2 else None
evs=txt.split('jdk.ExecutionSample')
top=collections.Counter(); incl=collections.Counter(); n=0
for e in evs:
    fr=re.findall(r'^\s+([\w\.$<>]+)\(.*?line: (\d+)',e,re.M)
    if not fr: continue
    names=[f for f,l in fr]
    if root and not any(root in f for f in names): continue
    n+=1
    top[fr[0][0]]+=1
    seen=set()
    for f in names:
        if f not in seen: incl[f]+=1; seen.add(f)
print('samples',n)
print('--- self (method)')
for k,v in top.most_common(25): print(f"{v*100/n:5.1f} {k}")
print('--- inclusive')
for k,v in incl.most_common(45): print(f"{v*100/n:5.1f} {k}")
