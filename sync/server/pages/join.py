"""Member pages: join (being written)."""
from fastapi import APIRouter

router = APIRouter()
