from ninja import NinjaAPI

api = NinjaAPI(title="Kneadwell API", version="1")
