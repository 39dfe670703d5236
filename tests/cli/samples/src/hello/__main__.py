def main(args):
    greeting = args.get("greeting", "Hi")
    name = args.get("name") or "nobody"
    print(f"greeting {name}")
    return {"text": f"{greeting}, {name}{args.get('punctuation', '')}"}
